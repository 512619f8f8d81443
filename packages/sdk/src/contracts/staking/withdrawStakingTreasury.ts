import { stakingAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type WithdrawStakingTreasuryParameters = ContractTarget<"staking"> & WriteOptions;

export type WithdrawStakingTreasuryReturnType = Hash;

/**
 * Sends slashed funds held by the staking contract to the treasury address.
 *
 * Calls `withdrawTreasury` on the Staking contract.
 * @example
 * const hash = await withdrawStakingTreasury(walletClient, { contracts });
 */
export async function withdrawStakingTreasury(
  client: TeeTeeClient,
  parameters: WithdrawStakingTreasuryParameters,
): Promise<WithdrawStakingTreasuryReturnType> {
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "withdrawTreasury",
    args: [],
  });
}
