import { stakingAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type WithdrawStakeParameters = ContractTarget<"staking"> & WriteOptions;

export type WithdrawStakeReturnType = Hash;

/**
 * Sends the sender's unbonded stake once the unbonding period has passed.
 *
 * Calls `withdrawStake` on the Staking contract.
 * @example
 * const hash = await withdrawStake(walletClient, { contracts });
 */
export async function withdrawStake(
  client: TeeTeeClient,
  parameters: WithdrawStakeParameters,
): Promise<WithdrawStakeReturnType> {
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "withdrawStake",
    args: [],
  });
}
