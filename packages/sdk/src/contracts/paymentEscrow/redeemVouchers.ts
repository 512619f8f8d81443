import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { Voucher } from "../types.js";

export type RedeemVouchersParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** Vouchers with their signatures. */
    vouchers: readonly { voucher: Voucher; signature: Hex }[];
  };

export type RedeemVouchersReturnType = Hash;

/**
 * Redeems many vouchers in one transaction; vouchers that would pay nothing are skipped rather than reverting.
 *
 * Calls `redeemBatch` on the PaymentEscrow contract.
 * @example
 * const hash = await redeemVouchers(walletClient, { contracts, vouchers });
 */
export async function redeemVouchers(
  client: TeeTeeClient,
  parameters: RedeemVouchersParameters,
): Promise<RedeemVouchersReturnType> {
  const { vouchers } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "redeemBatch",
    args: [vouchers.map((v) => v.voucher), vouchers.map((v) => v.signature)],
  });
}
