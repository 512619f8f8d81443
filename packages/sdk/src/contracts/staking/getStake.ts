import { stakingAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { StakeInfo } from "../types.js";

export type GetStakeParameters = ContractTarget<"staking"> &
  ReadOptions & {
    /** The staker. */
    staker: Address;
  };

export type GetStakeReturnType = StakeInfo;

/**
 * A staker's position: staked (including locked), locked, unbonding and when unbonding ends.
 *
 * Calls `getStake` on the Staking contract.
 * @example
 * const result = await getStake(publicClient, { contracts, staker });
 */
export async function getStake(
  client: TeeTeeClient,
  parameters: GetStakeParameters,
): Promise<GetStakeReturnType> {
  const { staker } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "getStake",
    args: [staker],
  });
}
