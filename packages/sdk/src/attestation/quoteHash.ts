import { type Hex, keccak256 } from "viem";

/** The quote hash registered on-chain: keccak256 of the raw quote bytes. */
export function computeQuoteHash(quote: Uint8Array): Hex {
  return keccak256(quote);
}
