import { secp256k1 } from "@noble/curves/secp256k1";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import { DevQuoteSignatureError, QuoteFormatError } from "./errors.js";
import { decodeTdReport, encodeTdReport, TD_REPORT_LENGTH, type TdReport } from "./tdReport.js";

/**
 * Development quotes start with this ASCII magic so that no one can mistake them for Intel
 * quotes: a DCAP quote starts with a little-endian version 3..5, never with "TE".
 */
export const DEV_QUOTE_MAGIC = new TextEncoder().encode("TEETEE-DEV-QUOTE-v1");

const PUBLIC_KEY_LENGTH = 33;
const SIGNATURE_LENGTH = 64;
const REPORT_OFFSET = DEV_QUOTE_MAGIC.length + PUBLIC_KEY_LENGTH;
const SIGNED_LENGTH = REPORT_OFFSET + TD_REPORT_LENGTH;

/** Total length of a development quote: magic, signer key, TD report, signature. */
export const DEV_QUOTE_LENGTH = SIGNED_LENGTH + SIGNATURE_LENGTH;

/** A decoded development quote. Its TD report has the TDX layout so one verifier reads both. */
export type DevQuote = {
  signerPublicKey: Hex;
  tdReport: TdReport;
  signature: Uint8Array;
  signedBytes: Uint8Array;
};

/** True when the bytes carry the development-quote magic. */
export function isDevQuote(quote: Uint8Array): boolean {
  if (quote.length < DEV_QUOTE_MAGIC.length) return false;
  return DEV_QUOTE_MAGIC.every((byte, index) => quote[index] === byte);
}

/**
 * Builds and signs a development quote with a local secp256k1 key:
 * magic || compressed signer key || TD report || sig(sha256(everything before)).
 */
export function signDevQuote(params: { tdReport: TdReport; signerPrivateKey: Hex }): Uint8Array {
  const privateKey = hexToBytes(params.signerPrivateKey);
  const out = new Uint8Array(DEV_QUOTE_LENGTH);
  out.set(DEV_QUOTE_MAGIC, 0);
  out.set(secp256k1.getPublicKey(privateKey, true), DEV_QUOTE_MAGIC.length);
  out.set(encodeTdReport(params.tdReport), REPORT_OFFSET);
  const signature = secp256k1.sign(sha256(out.subarray(0, SIGNED_LENGTH)), privateKey);
  out.set(signature.toCompactRawBytes(), SIGNED_LENGTH);
  return out;
}

/** Splits a development quote into its parts; throws {@link QuoteFormatError} when malformed. */
export function decodeDevQuote(quote: Uint8Array): DevQuote {
  if (!isDevQuote(quote)) throw new QuoteFormatError("Not a TeeTee development quote");
  if (quote.length !== DEV_QUOTE_LENGTH) {
    throw new QuoteFormatError("Development quote has the wrong length", {
      details: `expected ${DEV_QUOTE_LENGTH} bytes, got ${quote.length}`,
    });
  }
  return {
    signerPublicKey: bytesToHex(quote.slice(DEV_QUOTE_MAGIC.length, REPORT_OFFSET)),
    tdReport: decodeTdReport(quote, REPORT_OFFSET),
    signature: quote.slice(SIGNED_LENGTH),
    signedBytes: quote.slice(0, SIGNED_LENGTH),
  };
}

/**
 * Checks the signature and that the signer is one of `trustedSigners` (compressed keys).
 * The key inside the quote is only a pointer: trust comes from the verifier's own list.
 */
export function verifyDevQuoteSignature(quote: DevQuote, trustedSigners: readonly Hex[]): void {
  const signer = quote.signerPublicKey.toLowerCase();
  if (!trustedSigners.some((trusted) => trusted.toLowerCase() === signer)) {
    throw new DevQuoteSignatureError("Development quote signer is not trusted", {
      details: `signer ${signer}`,
      hint: "Pass the dev-tee's signer public key in the policy's devQuoteSigners.",
    });
  }
  let valid = false;
  try {
    valid = secp256k1.verify(quote.signature, sha256(quote.signedBytes), hexToBytes(quote.signerPublicKey));
  } catch (cause) {
    throw new DevQuoteSignatureError("Development quote signature is malformed", { cause });
  }
  if (!valid) throw new DevQuoteSignatureError("Development quote signature is invalid");
}
