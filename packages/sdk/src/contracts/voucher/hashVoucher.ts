import { type Address, type Hex, hashTypedData } from "viem";
import { paymentEscrowDomain, voucherTypes } from "../internal/eip712.js";
import type { Voucher } from "../types.js";

export interface HashVoucherParameters {
  voucher: Voucher;
  chainId: number;
  /** The escrow the voucher pays from. */
  paymentEscrow: Address;
}

export type HashVoucherReturnType = Hex;

/**
 * A voucher's EIP-712 digest, equal to `PaymentEscrow.voucherDigest`.
 * @example
 * const digest = hashVoucher({ voucher, chainId: 31337, paymentEscrow });
 */
export function hashVoucher({
  voucher,
  chainId,
  paymentEscrow,
}: HashVoucherParameters): HashVoucherReturnType {
  return hashTypedData({
    domain: paymentEscrowDomain(chainId, paymentEscrow),
    types: voucherTypes,
    primaryType: "Voucher",
    message: voucher,
  });
}
