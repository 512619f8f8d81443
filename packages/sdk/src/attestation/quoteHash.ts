import { type Hex, keccak256 } from "viem";
import { isDevQuote } from "./devQuote.js";
import { QuoteFormatError } from "./errors.js";
import { signedQuoteLength } from "./parseQuote.js";

/** The largest quote accepted: a TDX quote with its PCK certificate chain is about 5 KB. */
export const MAX_QUOTE_BYTES = 64 * 1024;

/**
 * The bytes a quote's signatures cover, and nothing else. Quote generation hands out a fixed buffer, so a real
 * quote may end in zero padding (70 bytes in dstack's); that padding is dropped, and any other byte past the
 * signature data is refused, so that one quote has one hash whatever was appended or cut.
 * @throws QuoteFormatError for an oversized quote, a cut one, or bytes other than zero padding after the signature data
 */
export function canonicalQuote(quote: Uint8Array): Uint8Array {
  if (quote.length > MAX_QUOTE_BYTES) {
    throw new QuoteFormatError(`Quote is larger than ${MAX_QUOTE_BYTES} bytes`, {
      details: `${quote.length} bytes`,
    });
  }
  if (isDevQuote(quote)) return quote;
  const end = signedQuoteLength(quote);
  if (end > quote.length) {
    throw new QuoteFormatError("Quote ends inside its signature data", {
      details: `${quote.length} bytes, signature data ends at ${end}`,
    });
  }
  const extra = quote.subarray(end).findIndex((byte) => byte !== 0);
  if (extra !== -1) {
    throw new QuoteFormatError("Quote carries bytes past its signature data", {
      details: `non-zero byte at offset ${end + extra} of ${quote.length}; the signed quote ends at ${end}`,
    });
  }
  return quote.subarray(0, end);
}

/** The quote hash registered on-chain: keccak256 of the quote's canonical bytes ({@link canonicalQuote}). */
export function computeQuoteHash(quote: Uint8Array): Hex {
  return keccak256(canonicalQuote(quote));
}
