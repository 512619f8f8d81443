import { stakingAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetFreeStakeParameters = ContractTarget<"staking"> &
  ReadOptions & {
    /** The staker. */
    staker: Address;
  };

export type GetFreeStakeReturnType = bigint;

/**
 * Stake that is neither locked nor unbonding.
 *
 * Calls `freeStake` on the Staking contract.
 * @example
 * const result = await getFreeStake(publicClient, { contracts, staker });
 */
export async function getFreeStake(
  client: TeeTeeClient,
  parameters: GetFreeStakeParameters,
): Promise<GetFreeStakeReturnType> {
  const { staker } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "freeStake",
    args: [staker],
  });
}
