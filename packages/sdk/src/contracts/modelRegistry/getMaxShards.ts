import { modelRegistryAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetMaxShardsParameters = ContractTarget<"modelRegistry"> & ReadOptions;

export type GetMaxShardsReturnType = number;

/**
 * The most shards a model may have.
 *
 * Calls `MAX_SHARDS` on the ModelRegistry contract.
 * @example
 * const result = await getMaxShards(publicClient, { contracts });
 */
export async function getMaxShards(
  client: TeeTeeClient,
  parameters: GetMaxShardsParameters,
): Promise<GetMaxShardsReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "MAX_SHARDS",
    args: [],
  });
}
