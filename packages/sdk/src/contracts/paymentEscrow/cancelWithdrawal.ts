import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type CancelWithdrawalParameters = ContractTarget<"paymentEscrow"> & WriteOptions;

export type CancelWithdrawalReturnType = Hash;

/**
 * Cancels the sender's pending withdrawal.
 *
 * Calls `cancelWithdrawal` on the PaymentEscrow contract.
 * @example
 * const hash = await cancelWithdrawal(walletClient, { contracts });
 */
export async function cancelWithdrawal(
  client: TeeTeeClient,
  parameters: CancelWithdrawalParameters,
): Promise<CancelWithdrawalReturnType> {
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "cancelWithdrawal",
    args: [],
  });
}
