import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type RequestWithdrawalParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** Payment-token base units. */
    amount: bigint;
  };

export type RequestWithdrawalReturnType = Hash;

/**
 * Starts thawing part of the sender's deposit (replacing any pending request); vouchers still redeem against it until it is withdrawn.
 *
 * Calls `requestWithdrawal` on the PaymentEscrow contract.
 * @example
 * const hash = await requestWithdrawal(walletClient, { contracts, amount });
 */
export async function requestWithdrawal(
  client: TeeTeeClient,
  parameters: RequestWithdrawalParameters,
): Promise<RequestWithdrawalReturnType> {
  const { amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "requestWithdrawal",
    args: [amount],
  });
}
