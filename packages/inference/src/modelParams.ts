import { type Bytes32, type Manifest, modelIdOf } from "./manifestFormat.js";

/** What a curator decides when registering a model; everything else comes from its manifest. */
export type ModelTerms = {
  inputPricePerMTok: bigint;
  outputPricePerMTok: bigint;
  minStake: bigint;
  attestationTtl: bigint;
  /** Each shard's share of a request's revenue in basis points (see `defaultShares`). */
  shareBps: readonly number[];
  composeHashes: readonly Bytes32[];
  osImages: readonly Bytes32[];
};

/**
 * The `ModelRegistry.registerModel` parameters of a sharded model (the SDK's `ModelParams`): its id, tokenizer hash,
 * layers and each shard's layer range and weights hash from the manifest, the rest from `terms`.
 *
 * @example
 * await registerModel(curator, { contracts, model: modelParamsOf(manifest, { ...prices, shareBps, composeHashes, osImages }) });
 */
export function modelParamsOf(manifest: Manifest, terms: ModelTerms) {
  if (terms.shareBps.length !== manifest.shards.length) {
    throw new RangeError(`${terms.shareBps.length} shares for ${manifest.shards.length} shards`);
  }
  return {
    modelId: modelIdOf(manifest),
    tokenizerHash: `0x${manifest.tokenizer.sha256}` as Bytes32,
    numLayers: manifest.config.numLayers,
    inputPricePerMTok: terms.inputPricePerMTok,
    outputPricePerMTok: terms.outputPricePerMTok,
    minStake: terms.minStake,
    attestationTtl: terms.attestationTtl,
    shards: manifest.shards.map((shard, i) => ({
      firstLayer: shard.layerStart,
      endLayer: shard.layerEnd,
      weightsHash: shard.weightsHash as Bytes32,
      shareBps: terms.shareBps[i]!,
    })),
    composeHashes: [...terms.composeHashes],
    osImages: [...terms.osImages],
  };
}
