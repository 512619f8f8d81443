import { invert, mod } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import { type Address, getAddress, type Hex, isAddressEqual, recoverPublicKey } from "viem";
import { publicKeyToAddress } from "viem/accounts";
import { PaymentError } from "./errors.js";
import type { PaymentTicket } from "./paymentTicket.js";
import { voucherDigest } from "./voucherDigest.js";

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;

const { n } = secp256k1.CURVE;
const halfN = n >> 1n;
const G = secp256k1.ProjectivePoint.BASE;
/** Each cached key holds ~4k precomputed points (window 8): about 0.5 MB. */
const maxCachedSigners = 128;
const maxRememberedSignatures = 4096;

/**
 * Verifies voucher signatures. The first voucher of a signer is checked by public-key recovery; its key is then
 * kept with precomputed multiples, so each later voucher costs one ECDSA verification (u1·G + u2·Q) instead of a
 * recovery. The verification also checks what `ecrecover` needs on-chain: low `s` and the recovery id `v`.
 */
export class VoucherSignatureVerifier {
  readonly #keys = new Map<Address, Point>();
  /** Signatures already verified: a channel's voucher comes back with the next request. */
  readonly #verified = new Set<string>();
  readonly #windowSize: number;

  /** @param windowSize bits per precomputed window of each signer's key: more is faster and takes more memory. */
  constructor(windowSize = 8) {
    this.#windowSize = windowSize;
  }

  /** Whether `signature` over `digest` is `signer`'s, exactly as the escrow's `ECDSA.tryRecover` would find. */
  async verify(digest: Hex, signature: Hex, signer: Address): Promise<boolean> {
    const seen = `${digest}${signature.slice(2)}${signer.slice(2)}`.toLowerCase();
    if (this.#verified.has(seen)) return true;
    const parts = splitSignature(signature);
    if (parts === undefined) return false;
    const key = this.#keys.get(getAddress(signer));
    if (key !== undefined) {
      if (!verifyWithKey(BigInt(digest), parts, key)) return false;
      this.#remember(seen);
      return true;
    }
    const publicKey = await recoverPublicKey({ hash: digest, signature }).catch(() => undefined);
    if (publicKey === undefined || !isAddressEqual(publicKeyToAddress(publicKey), signer)) return false;
    if (this.#keys.size >= maxCachedSigners) this.#keys.clear();
    this.#keys.set(
      getAddress(signer),
      secp256k1.utils.precompute(this.#windowSize, secp256k1.ProjectivePoint.fromHex(publicKey.slice(2))),
    );
    this.#remember(seen);
    return true;
  }

  #remember(seen: string): void {
    if (this.#verified.size >= maxRememberedSignatures) this.#verified.clear();
    this.#verified.add(seen);
  }
}

type SignatureParts = { r: bigint; s: bigint; yParity: number };

function splitSignature(signature: Hex): SignatureParts | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined;
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  const yParity = v >= 27 ? v - 27 : v;
  // The escrow (OpenZeppelin ECDSA) refuses high-s signatures and recovery ids other than 27 and 28.
  if (r <= 0n || r >= n || s <= 0n || s > halfN || (yParity !== 0 && yParity !== 1)) return undefined;
  return { r, s, yParity };
}

/** R = (e/s)·G + (r/s)·Q must have x = r and the y parity the signature's `v` names. */
function verifyWithKey(e: bigint, { r, s, yParity }: SignatureParts, key: Point): boolean {
  const w = invert(s, n);
  const R = G.multiplyUnsafe(mod(e * w, n)).add(key.multiplyUnsafe(mod(r * w, n)));
  if (R.equals(secp256k1.ProjectivePoint.ZERO)) return false;
  const { x, y } = R.toAffine();
  return x === r && Number(y & 1n) === yParity;
}

const defaultVerifier = new VoucherSignatureVerifier();

export type VerifyTicketSignatureParameters = {
  ticket: PaymentTicket;
  /** The chain and escrow this verifier settles on. */
  chainId: number;
  paymentEscrow: Address;
  /** Keeps signers' keys between calls; a shared one by default. */
  verifier?: VoucherSignatureVerifier;
};

/**
 * Checks that a ticket's voucher is signed for this chain and escrow by the signer it names, and returns its digest.
 * @throws PaymentError `wrong_domain` for another chain or escrow, `bad_signature` for a tampered voucher, a
 * signature by another key, or one the escrow would not accept.
 */
export async function verifyTicketSignature(parameters: VerifyTicketSignatureParameters): Promise<Hex> {
  const { ticket, chainId, paymentEscrow } = parameters;
  if (ticket.chainId !== chainId || !isAddressEqual(ticket.paymentEscrow, paymentEscrow)) {
    throw new PaymentError("wrong_domain", "The voucher is signed for another chain or escrow.", {
      details: `voucher: chain ${ticket.chainId}, escrow ${ticket.paymentEscrow}; here: chain ${chainId}, escrow ${paymentEscrow}`,
      hint: "Sign vouchers for the deployment the runner settles on.",
    });
  }
  const digest = voucherDigest(ticket.voucher, chainId, paymentEscrow);
  const verifier = parameters.verifier ?? defaultVerifier;
  if (!(await verifier.verify(digest, ticket.signature, ticket.signer))) {
    throw new PaymentError("bad_signature", "The voucher was not signed by the signer it names.", {
      details: `signer ${ticket.signer}`,
      hint: "The voucher was altered after signing, signed with another key, or its signature is malformed.",
    });
  }
  return digest;
}
