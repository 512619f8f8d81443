import { stakingAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetRunnerLockParameters = ContractTarget<"staking"> &
  ReadOptions & {
    /** The staker. */
    staker: Address;
    /** The runner. */
    runner: Address;
  };

export type GetRunnerLockReturnType = bigint;

/**
 * What of a staker's stake is locked behind one runner now (reduced by slashes of that runner).
 *
 * Calls `runnerLock` on the Staking contract.
 * @example
 * const lock = await getRunnerLock(publicClient, { contracts, staker, runner });
 */
export async function getRunnerLock(
  client: TeeTeeClient,
  parameters: GetRunnerLockParameters,
): Promise<GetRunnerLockReturnType> {
  const { staker, runner } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "runnerLock",
    args: [staker, runner],
  });
}
