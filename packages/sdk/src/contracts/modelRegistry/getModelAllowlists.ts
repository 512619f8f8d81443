import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { getContractEvents } from "viem/actions";
import type { TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetModelAllowlistsParameters = ContractTarget<"modelRegistry"> & {
  /** The model's id (its manifest hash). */
  modelId: Hex;
  /** First block to scan (the deployment's `startBlock`); defaults to 0. */
  fromBlock?: bigint;
};

export type GetModelAllowlistsReturnType = {
  /** dstack compose hashes the model's runners may run under. */
  composeHashes: Hex[];
  /** OS images (SHA-256 of MRTD and RTMR0-2) the model's runners may boot. */
  osImages: Hex[];
};

/** What a run of allow/disallow changes leaves allowed (the last change of each value wins), in first-seen order. */
function allowedAfter(changes: readonly (readonly [Hex, boolean])[]): Hex[] {
  return [...new Map(changes)].filter(([, allowed]) => allowed).map(([value]) => value);
}

/**
 * The compose hashes and OS images a model allows now, replayed from the registry's `ModelComposeHashSet` and
 * `ModelOsImageSet` events (the contract keeps them as mappings, which cannot be listed).
 * @example
 * const { composeHashes, osImages } = await getModelAllowlists(publicClient, { contracts, modelId, fromBlock });
 */
export async function getModelAllowlists(
  client: TeeTeeClient,
  parameters: GetModelAllowlistsParameters,
): Promise<GetModelAllowlistsReturnType> {
  const query = {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    args: { modelId: parameters.modelId },
    fromBlock: parameters.fromBlock ?? 0n,
    strict: true,
  } as const;
  const [compose, os] = await Promise.all([
    getContractEvents(client, { ...query, eventName: "ModelComposeHashSet" }),
    getContractEvents(client, { ...query, eventName: "ModelOsImageSet" }),
  ]);
  return {
    composeHashes: allowedAfter(compose.map(({ args }) => [args.composeHash, args.allowed] as const)),
    osImages: allowedAfter(os.map(({ args }) => [args.osImage, args.allowed] as const)),
  };
}
