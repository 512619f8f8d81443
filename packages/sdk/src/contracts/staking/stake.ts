import { stakingAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type StakeParameters = ContractTarget<"staking"> &
  WriteOptions & {
    /** Payment-token base units. */
    amount: bigint;
  };

export type StakeReturnType = Hash;

/**
 * Adds to the sender's stake; pulls the payment token, so approve the staking contract first.
 *
 * Calls `stake` on the Staking contract.
 * @example
 * const hash = await stake(walletClient, { contracts, amount });
 */
export async function stake(client: TeeTeeClient, parameters: StakeParameters): Promise<StakeReturnType> {
  const { amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "stake",
    args: [amount],
  });
}
