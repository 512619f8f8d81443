import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type DepositForParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** Whose account is credited. */
    buyer: Address;
    /** Payment-token base units. */
    amount: bigint;
  };

export type DepositForReturnType = Hash;

/**
 * Deposits the sender's tokens into another buyer's account.
 *
 * Calls `depositFor` on the PaymentEscrow contract.
 * @example
 * const hash = await depositFor(walletClient, { contracts, buyer, amount });
 */
export async function depositFor(
  client: TeeTeeClient,
  parameters: DepositForParameters,
): Promise<DepositForReturnType> {
  const { buyer, amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "depositFor",
    args: [buyer, amount],
  });
}
