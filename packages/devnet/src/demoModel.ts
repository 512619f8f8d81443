import { join } from "node:path";
import { defaultShares, type Manifest, makeTestModel, modelParamsOf, shardModel } from "@teetee/inference";
import {
  getProtocolFeeBps,
  type ModelParams,
  registerModel,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import type { Hex } from "viem";
import type { Actor } from "./actors.js";

/** Writes the small random-weight demo model (a real Hugging Face folder) and returns its folder. */
export function writeDemoModel(dir: string): string {
  makeTestModel({
    dir,
    seed: 7,
    numLayers: 6,
    hiddenSize: 64,
    numHeads: 4,
    numKvHeads: 2,
    maxPositions: 512,
  });
  return dir;
}

/** Shards the model into `workDir/shards`; `weights` picks the format (fp32 by default, see `shardModel`). */
export async function shardDemoModel(
  modelDir: string,
  workDir: string,
  shardCount: number,
  weights: { format?: string; blockSize?: number } = {},
) {
  return shardModel({ modelDir, outDir: join(workDir, "shards"), shardCount, quiet: true, ...weights });
}

export type DemoPricing = {
  inputPricePerMTok: bigint;
  outputPricePerMTok: bigint;
  minStake: bigint;
  ttl: bigint;
};

/** The demo's prices: 2 tUSD / 6 tUSD per million tokens, 100 tUSD stake per runner, one-day attestations. */
export const demoPricing: DemoPricing = {
  inputPricePerMTok: 2_000_000n,
  outputPricePerMTok: 6_000_000n,
  minStake: 100_000_000n,
  ttl: 86_400n,
};

/**
 * Registers the sharded model allowing the development TEE's compose hash and OS image (its MRTD and RTMR0-2);
 * the curator's gas is recorded.
 */
export async function registerDemoModel(
  curator: Actor,
  contracts: TeeTeeContracts,
  manifest: Manifest,
  modelId: Hex,
  composeHash: Hex,
  osImage: Hex,
): Promise<ModelParams> {
  const feeBps = await getProtocolFeeBps(curator.publicClient, { contracts });
  const model: ModelParams = modelParamsOf(manifest, {
    inputPricePerMTok: demoPricing.inputPricePerMTok,
    outputPricePerMTok: demoPricing.outputPricePerMTok,
    minStake: demoPricing.minStake,
    attestationTtl: demoPricing.ttl,
    shareBps: defaultShares(manifest, feeBps),
    composeHashes: [composeHash],
    osImages: [osImage],
  });
  if (model.modelId !== modelId) throw new Error(`the manifest is model ${model.modelId}, not ${modelId}`);
  await curator.send("registerModel", () => registerModel(curator.walletClient, { contracts, model }));
  return model;
}
