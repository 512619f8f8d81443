import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type DepositParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** Payment-token base units. */
    amount: bigint;
  };

export type DepositReturnType = Hash;

/**
 * Deposits for the sender; pulls the payment token, so approve the escrow first (or use `depositWithPermit`).
 *
 * Calls `deposit` on the PaymentEscrow contract.
 * @example
 * const hash = await deposit(walletClient, { contracts, amount });
 */
export async function deposit(
  client: TeeTeeClient,
  parameters: DepositParameters,
): Promise<DepositReturnType> {
  const { amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "deposit",
    args: [amount],
  });
}
