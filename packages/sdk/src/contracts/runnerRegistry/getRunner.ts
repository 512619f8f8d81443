import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { Runner } from "../types.js";

export type GetRunnerParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The runner's address. */
    runner: Address;
  };

export type GetRunnerReturnType = Runner;

/**
 * A runner as stored. Reverts with `RunnerNotFound` for an address never registered.
 *
 * Calls `getRunner` on the RunnerRegistry contract.
 * @example
 * const result = await getRunner(publicClient, { contracts, runner });
 */
export async function getRunner(
  client: TeeTeeClient,
  parameters: GetRunnerParameters,
): Promise<GetRunnerReturnType> {
  const { runner } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "getRunner",
    args: [runner],
  });
}
