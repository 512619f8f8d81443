import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type WithdrawEarningsParameters = ContractTarget<"paymentEscrow"> & WriteOptions;

export type WithdrawEarningsReturnType = Hash;

/**
 * Sends the sender's credited earnings.
 *
 * Calls `withdrawEarnings` on the PaymentEscrow contract.
 * @example
 * const hash = await withdrawEarnings(walletClient, { contracts });
 */
export async function withdrawEarnings(
  client: TeeTeeClient,
  parameters: WithdrawEarningsParameters,
): Promise<WithdrawEarningsReturnType> {
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "withdrawEarnings",
    args: [],
  });
}
