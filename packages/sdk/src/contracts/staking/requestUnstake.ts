import { stakingAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type RequestUnstakeParameters = ContractTarget<"staking"> &
  WriteOptions & {
    /** Payment-token base units. */
    amount: bigint;
  };

export type RequestUnstakeReturnType = Hash;

/**
 * Starts unbonding free stake; adding to an unbonding amount restarts its period.
 *
 * Calls `requestUnstake` on the Staking contract.
 * @example
 * const hash = await requestUnstake(walletClient, { contracts, amount });
 */
export async function requestUnstake(
  client: TeeTeeClient,
  parameters: RequestUnstakeParameters,
): Promise<RequestUnstakeReturnType> {
  const { amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "requestUnstake",
    args: [amount],
  });
}
