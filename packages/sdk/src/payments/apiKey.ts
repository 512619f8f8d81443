import { type Address, getAddress, type Hex, isAddress } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { PaymentError } from "./errors.js";

/** What an API key holds: whose deposit pays, and the session signer that signs its vouchers. */
export type ApiKey = {
  /** The buyer (or contributor) whose escrow account the key spends from. */
  buyer: Address;
  /** The session signer: a key the buyer authorised with `authorizeSigner`, or the buyer's own key. */
  signer: PrivateKeyAccount;
};

export type FormatApiKeyParameters = {
  buyer: Address;
  /** 0x + 64 hex digits. */
  sessionPrivateKey: Hex;
};

const apiKeyPattern = /^tt_([0-9a-fA-F]{40})_([0-9a-fA-F]{64})$/;

/**
 * The API key string a buyer passes as `Authorization: Bearer <key>`:
 * `tt_<buyer address, 40 hex digits without 0x>_<session signer private key, 64 hex digits without 0x>`.
 * The key is a secret (it signs vouchers up to its on-chain spend limit); the gateway never sends it anywhere.
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
 * Reads an API key made by `formatApiKey`. Nothing on-chain is checked here: whether the signer is authorised,
 * within its limit and unexpired is the gateway's and each runner's business.
 * @throws PaymentError `invalid_api_key` for anything else.
 */
export function parseApiKey(key: string): ApiKey {
  const match = apiKeyPattern.exec(key.trim());
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw new PaymentError("invalid_api_key", "The API key is malformed.", {
      hint: "Expected tt_<buyer address without 0x>_<session key without 0x>, as `teetee key create` prints it.",
    });
  }
  try {
    return { buyer: getAddress(`0x${match[1]}`), signer: privateKeyToAccount(`0x${match[2]}`) };
  } catch (cause) {
    throw new PaymentError("invalid_api_key", "The API key's session key is not a valid secp256k1 key.", {
      cause,
    });
  }
}
