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
 * signature, or one the escrow would not accept (not 65 bytes, high `s`, `v` other than 27 or 28), counts as not
 * verifying.
 * @example
 * if (!(await verifyVoucher({ voucher, signature, chainId, paymentEscrow, signer: sessionKey }))) reject();
 */
export async function verifyVoucher(parameters: VerifyVoucherParameters): Promise<VerifyVoucherReturnType> {
  if (!isEscrowSignatureForm(parameters.signature)) return false;
  try {
    const recovered = await recoverVoucherSigner(parameters);
    return isAddressEqual(recovered, parameters.signer ?? parameters.voucher.buyer);
  } catch {
    return false;
  }
}

const secp256k1N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Whether `signature` has the form the escrow's `ECDSA.tryRecover` accepts: 65 bytes, `0 < r < n`, low `s` (EIP-2)
 * and `v` 27 or 28. Anything else recovers nothing on-chain, whatever an off-chain recovery makes of it.
 */
export function isEscrowSignatureForm(signature: Hex): boolean {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return false;
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  return r > 0n && r < secp256k1N && s > 0n && s <= secp256k1N >> 1n && (v === 27 || v === 28);
}
