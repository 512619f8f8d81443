import { type Address, getAddress, type Hex, isAddress } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { PaymentError } from "./errors.js";

/** What an API key holds: whose deposit pays, and the session signer that signs its vouchers. */
export type ApiKey = {
  /** The buyer (or contributor) whose escrow account the key spends from, checksummed. */
  buyer: Address;
  /** The session signer: a key the buyer authorised with `authorizeSigner`, or the buyer's own key. */
  signer: PrivateKeyAccount;
};

export type FormatApiKeyParameters = {
  buyer: Address;
  /** 0x + 64 hex digits. */
  sessionPrivateKey: Hex;
};

/**
 * `tt_`, the buyer's 40 hex digits, `_`, the session key's 64. Hex digits in either case: they name the same buyer
 * and signer, and everyone who reads a key (gateway, runners, CLI) keys its state by the checksummed addresses
 * `parseApiKey` returns, never by the key's text, so an upper-cased key is the same key.
 */
const apiKeyPattern = /^tt_([0-9a-fA-F]{40})_([0-9a-fA-F]{64})$/;
const apiKeyHint =
  "Expected tt_<buyer address without 0x>_<session key without 0x>, as `teetee key create` prints it.";

/**
 * The API key string a buyer passes as `Authorization: Bearer <key>`:
 * `tt_<buyer address, 40 hex digits without 0x>_<session signer private key, 64 hex digits without 0x>`, always
 * in lower case. The key is a secret (it signs vouchers up to its on-chain spend limit); the gateway never sends
 * it anywhere.
 * @throws PaymentError `invalid_api_key` when the buyer is not an address or the session key not 32 hex bytes.
 * @example
 * formatApiKey({ buyer: "0xf39F…2266", sessionPrivateKey: "0xac09…ff80" }) // "tt_f39f…2266_ac09…ff80"
 */
export function formatApiKey({ buyer, sessionPrivateKey }: FormatApiKeyParameters): string {
  if (!isAddress(buyer, { strict: false }))
    throw new PaymentError("invalid_api_key", "The buyer is not an address.");
  if (!/^0x[0-9a-fA-F]{64}$/.test(sessionPrivateKey)) {
    throw new PaymentError("invalid_api_key", "The session key must be 0x followed by 64 hex digits.");
  }
  return `tt_${buyer.slice(2).toLowerCase()}_${sessionPrivateKey.slice(2).toLowerCase()}`;
}

/**
 * Reads an API key made by `formatApiKey`, in either case of hex digits, surrounding whitespace ignored. Nothing
 * on-chain is checked here: whether the signer is authorised, within its limit and unexpired is the gateway's and
 * each runner's business.
 * @throws PaymentError `invalid_api_key` for anything else, or a session key that is not a secp256k1 key.
 */
export function parseApiKey(key: string): ApiKey {
  const match = apiKeyPattern.exec(key.trim());
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw new PaymentError("invalid_api_key", "The API key is malformed.", { hint: apiKeyHint });
  }
  try {
    return {
      buyer: getAddress(`0x${match[1].toLowerCase()}`),
      signer: privateKeyToAccount(`0x${match[2].toLowerCase()}`),
    };
  } catch (cause) {
    throw new PaymentError("invalid_api_key", "The API key's session key is not a valid secp256k1 key.", {
      cause,
      hint: apiKeyHint,
    });
  }
}
