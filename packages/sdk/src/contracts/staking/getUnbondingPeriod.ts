import { stakingAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetUnbondingPeriodParameters = ContractTarget<"staking"> & ReadOptions;

export type GetUnbondingPeriodReturnType = bigint;

/**
 * Seconds between `requestUnstake` and `withdrawStake`.
 *
 * Calls `unbondingPeriod` on the Staking contract.
 * @example
 * const result = await getUnbondingPeriod(publicClient, { contracts });
 */
export async function getUnbondingPeriod(
  client: TeeTeeClient,
  parameters: GetUnbondingPeriodParameters,
): Promise<GetUnbondingPeriodReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "unbondingPeriod",
    args: [],
  });
}
