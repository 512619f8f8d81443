import { type Address, getAddress, type Hex } from "viem";
import { usageError } from "./errors.js";

/**
 * An API key carries the buyer's address and the session signer's private key, so the gateway can sign vouchers
 * for the buyer without ever holding the buyer's own key: `tt_<buyer hex>_<session key hex>`.
 */
export function formatApiKey(buyer: Address, sessionKey: Hex): string {
  return `tt_${buyer.slice(2).toLowerCase()}_${sessionKey.slice(2).toLowerCase()}`;
}

export function parseApiKey(apiKey: string): { buyer: Address; sessionKey: Hex } {
  const match = /^tt_([0-9a-f]{40})_([0-9a-f]{64})$/.exec(apiKey.trim());
  if (!match) throw usageError("Not a TeeTee API key (tt_<buyer>_<session key>).");
  return { buyer: getAddress(`0x${match[1]}`), sessionKey: `0x${match[2]}` as Hex };
}
