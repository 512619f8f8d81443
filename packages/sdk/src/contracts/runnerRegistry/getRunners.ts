import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { RunnerView } from "../types.js";

export type GetRunnersParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** The shard. */
    shardIndex: number;
    /** Index of the first runner. Defaults to `0n`. */
    offset?: bigint;
    /** Most runners to return. Defaults to `100n`. */
    limit?: bigint;
  };

export type GetRunnersReturnType = { runners: readonly RunnerView[]; total: bigint };

/**
 * Runners ever registered for one shard of a model, active or not, in registration order, one page at a time.
 *
 * Calls `getRunners` on the RunnerRegistry contract.
 * @example
 * const result = await getRunners(publicClient, { contracts, modelId, shardIndex });
 */
export async function getRunners(
  client: TeeTeeClient,
  parameters: GetRunnersParameters,
): Promise<GetRunnersReturnType> {
  const { modelId, shardIndex, offset = 0n, limit = 100n } = parameters;
  const [runners, total] = await readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "getRunners",
    args: [modelId, shardIndex, offset, limit],
  });
  return { runners, total };
}
