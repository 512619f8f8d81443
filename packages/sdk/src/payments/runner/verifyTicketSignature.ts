import { invert, mod } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import { type Address, bytesToHex, type Hex, isAddressEqual, recoverPublicKey } from "viem";
import { publicKeyToAddress } from "viem/accounts";
import { PaymentError } from "../errors.js";
import type { PaymentTicket } from "../paymentTicket.js";
import { type NativeSecp256k1, nativeSecp256k1 } from "./nativeSecp256k1.js";
import { voucherDigest } from "./voucherDigest.js";

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;

const { n } = secp256k1.CURVE;
const halfN = n >> 1n;
const G = secp256k1.ProjectivePoint.BASE;
/** On the noble path each cached key holds ~4k precomputed points (window 8): about 0.5 MB. */
const maxCachedSigners = 128;
const maxRememberedSignatures = 4096;

/** Which implementation checks signatures: libsecp256k1's native addon, or `@noble/curves` where it cannot load. */
export type VoucherSignatureBackend = "libsecp256k1" | "noble";

export type VoucherSignatureVerifierOptions = {
  /** Bits per precomputed window of each signer's key on the noble path: more is faster and takes more memory. */
  windowSize?: number;
  /** Use libsecp256k1 when it loads (the default); `false` keeps to noble. */
  native?: boolean;
};

/**
 * Verifies voucher signatures exactly as the escrow's `ECDSA.tryRecover` would: low `s` (EIP-2), a recovery id `v`
 * of 27 or 28, and the key it recovers hashing to the signer.
 *
 * With libsecp256k1 every voucher costs one native recovery, compared with the signer's cached public key (the first
 * voucher of a signer is checked against its address). Recovery rather than `ecdsaVerify`: verification against
 * the key cannot see `v`, and a voucher whose `v` is flipped verifies yet recovers another address on-chain.
 * On the noble path the first voucher of a signer is checked by recovery; its key is then kept with precomputed
 * multiples, so each later voucher costs one ECDSA verification (u1·G + u2·Q) that also checks `v`.
 */
export class VoucherSignatureVerifier {
  readonly backend: VoucherSignatureBackend;
  readonly #native: NativeSecp256k1 | undefined;
  /** Uncompressed public keys (libsecp256k1) or precomputed points (noble), by lowercase signer address. */
  readonly #nativeKeys = new Map<string, Uint8Array>();
  readonly #nobleKeys = new Map<string, Point>();
  /** Signatures already verified: a channel's voucher comes back with the next request. */
  readonly #verified = new Set<string>();
  readonly #windowSize: number;

  constructor(options: VoucherSignatureVerifierOptions = {}) {
    this.#windowSize = options.windowSize ?? 8;
    this.#native = options.native === false ? undefined : nativeSecp256k1();
    this.backend = this.#native === undefined ? "noble" : "libsecp256k1";
  }

  /** Whether `signature` over `digest` is `signer`'s, exactly as the escrow's `ECDSA.tryRecover` would find. */
  async verify(digest: Hex, signature: Hex, signer: Address): Promise<boolean> {
    const seen = `${digest}${signature.slice(2)}${signer.slice(2)}`.toLowerCase();
    if (this.#verified.has(seen)) return true;
    const parts = splitSignature(signature);
    if (parts === undefined) return false;
    const valid =
      this.#native === undefined
        ? await this.#verifyNoble(digest, signature, parts, signer)
        : this.#verifyNative(this.#native, digest, signature, parts.yParity, signer);
    if (valid) this.#remember(seen);
    return valid;
  }

  #verifyNative(
    native: NativeSecp256k1,
    digest: Hex,
    signature: Hex,
    yParity: number,
    signer: Address,
  ): boolean {
    let recovered: Uint8Array;
    try {
      recovered = native.ecdsaRecover(
        Buffer.from(signature.slice(2, 130), "hex"),
        yParity,
        Buffer.from(digest.slice(2), "hex"),
        false,
      );
    } catch {
      return false;
    }
    const id = signer.toLowerCase();
    const key = this.#nativeKeys.get(id);
    if (key !== undefined) return equalBytes(key, recovered);
    if (!isAddressEqual(publicKeyToAddress(bytesToHex(recovered)), signer)) return false;
    if (this.#nativeKeys.size >= maxCachedSigners) this.#nativeKeys.clear();
    this.#nativeKeys.set(id, recovered);
    return true;
  }

  async #verifyNoble(digest: Hex, signature: Hex, parts: SignatureParts, signer: Address): Promise<boolean> {
    const id = signer.toLowerCase();
    const key = this.#nobleKeys.get(id);
    if (key !== undefined) return verifyWithKey(BigInt(digest), parts, key);
    const publicKey = await recoverPublicKey({ hash: digest, signature }).catch(() => undefined);
    if (publicKey === undefined || !isAddressEqual(publicKeyToAddress(publicKey), signer)) return false;
    if (this.#nobleKeys.size >= maxCachedSigners) this.#nobleKeys.clear();
    this.#nobleKeys.set(
      id,
      secp256k1.utils.precompute(this.#windowSize, secp256k1.ProjectivePoint.fromHex(publicKey.slice(2))),
    );
    return true;
  }

  #remember(seen: string): void {
    if (this.#verified.size >= maxRememberedSignatures) this.#verified.clear();
    this.#verified.add(seen);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type SignatureParts = { r: bigint; s: bigint; yParity: number };

function splitSignature(signature: Hex): SignatureParts | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined;
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  // The escrow (OpenZeppelin ECDSA) refuses high-s signatures and recovery ids other than 27 and 28: a bare
  // parity (0 or 1) recovers address(0) there, so a voucher signed with one could never be redeemed.
  if (r <= 0n || r >= n || s <= 0n || s > halfN || (v !== 27 && v !== 28)) return undefined;
  return { r, s, yParity: v - 27 };
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
