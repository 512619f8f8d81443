import { formatApiKey as formatApiKeyOf } from "@teetee/sdk/payments";
import type { Address, Hex } from "viem";

/**
 * Only the positional call `scripts/start.ts` still makes, forwarded to `formatApiKey` of `@teetee/sdk/payments`,
 * the one API key format (its parser is `parseApiKey` there). Delete this file once the scripts, which are moving
 * to a package of their own, import the SDK's formatter.
 */
export function formatApiKey(buyer: Address, sessionKey: Hex): string {
  return formatApiKeyOf({ buyer, sessionPrivateKey: sessionKey });
}
