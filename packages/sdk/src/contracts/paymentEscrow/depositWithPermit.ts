import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type DepositWithPermitParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** Whose account is credited. */
    buyer: Address;
    /** Payment-token base units; the permit's value. */
    amount: bigint;
    /** The permit signature, as `signPermit` returns it. */
    permit: { deadline: bigint; v: number; r: Hex; s: Hex };
  };

export type DepositWithPermitReturnType = Hash;

/**
 * Deposits for a buyer with the sender's EIP-2612 permit (from `signPermit`), in one transaction.
 *
 * Calls `depositWithPermit` on the PaymentEscrow contract.
 * @example
 * const hash = await depositWithPermit(walletClient, { contracts, buyer, amount, permit });
 */
export async function depositWithPermit(
  client: TeeTeeClient,
  parameters: DepositWithPermitParameters,
): Promise<DepositWithPermitReturnType> {
  const { buyer, amount, permit } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "depositWithPermit",
    args: [buyer, amount, permit.deadline, permit.v, permit.r, permit.s],
  });
}
