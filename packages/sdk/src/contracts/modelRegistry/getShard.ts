import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { Shard } from "../types.js";

export type GetShardParameters = ContractTarget<"modelRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** The shard's position, from 0. */
    shardIndex: bigint;
  };

export type GetShardReturnType = Shard;

/**
 * One shard of a model: its layer range, weights hash and revenue share.
 *
 * Calls `getShard` on the ModelRegistry contract.
 * @example
 * const result = await getShard(publicClient, { contracts, modelId, shardIndex });
 */
export async function getShard(
  client: TeeTeeClient,
  parameters: GetShardParameters,
): Promise<GetShardReturnType> {
  const { modelId, shardIndex } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "getShard",
    args: [modelId, shardIndex],
  });
}
