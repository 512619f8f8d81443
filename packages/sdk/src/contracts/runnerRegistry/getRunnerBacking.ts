import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetRunnerBackingParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The runner's address. */
    runner: Address;
  };

export type GetRunnerBackingReturnType = bigint;

/**
 * What is left of a runner's own stake lock; below what it locked at registration, the runner is unroutable and
 * anyone may deactivate it.
 *
 * Calls `runnerBacking` on the RunnerRegistry contract.
 * @example
 * const backing = await getRunnerBacking(publicClient, { contracts, runner });
 */
export async function getRunnerBacking(
  client: TeeTeeClient,
  parameters: GetRunnerBackingParameters,
): Promise<GetRunnerBackingReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "runnerBacking",
    args: [parameters.runner],
  });
}
