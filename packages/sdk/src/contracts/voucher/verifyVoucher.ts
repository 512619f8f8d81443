import { type Address, type Hex, isAddressEqual, recoverTypedDataAddress } from "viem";
import { paymentEscrowDomain, voucherTypes } from "../internal/eip712.js";
import type { Voucher } from "../types.js";

export interface RecoverVoucherSignerParameters {
  voucher: Voucher;
  signature: Hex;
  chainId: number;
  paymentEscrow: Address;
}

export type RecoverVoucherSignerReturnType = Address;

/**
 * The address that signed a voucher: the buyer, or a session signer whose authorisation must then be checked
 * on-chain (`getSessionSigner`).
 */
export async function recoverVoucherSigner(
  parameters: RecoverVoucherSignerParameters,
): Promise<RecoverVoucherSignerReturnType> {
  const { voucher, signature, chainId, paymentEscrow } = parameters;
  return recoverTypedDataAddress({
    domain: paymentEscrowDomain(chainId, paymentEscrow),
    types: voucherTypes,
    primaryType: "Voucher",
    message: voucher,
    signature,
  });
}

export type VerifyVoucherParameters = RecoverVoucherSignerParameters & {
  /** Who should have signed; defaults to the voucher's buyer. */
  signer?: Address;
};

export type VerifyVoucherReturnType = boolean;

/**
 * Whether a voucher was signed by `signer` (by default its buyer) for this chain and escrow. A malformed
 * signature counts as not verifying.
 * @example
 * if (!(await verifyVoucher({ voucher, signature, chainId, paymentEscrow, signer: sessionKey }))) reject();
 */
export async function verifyVoucher(parameters: VerifyVoucherParameters): Promise<VerifyVoucherReturnType> {
  try {
    const recovered = await recoverVoucherSigner(parameters);
    return isAddressEqual(recovered, parameters.signer ?? parameters.voucher.buyer);
  } catch {
    return false;
  }
}
