import { type Collateral, type TcbStatus, verify } from "@phala/dcap-qvl";
import { CollateralExpiredError, QuoteSignatureError, TcbStatusRejectedError } from "./errors.js";

/** TCB statuses accepted unless a policy says otherwise: patched platforms only. */
export const DEFAULT_ACCEPTED_TCB_STATUSES: readonly TcbStatus[] = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
];

export type VerifyIntelQuoteParameters = {
  quote: Uint8Array;
  collateral: Collateral;
  /** Verification time in seconds since epoch; injectable so fixtures verify at their pinned date. */
  nowSeconds: number;
  acceptedTcbStatuses?: readonly TcbStatus[];
};

export type VerifyIntelQuoteReturnType = { tcbStatus: TcbStatus; advisoryIds: string[] };

/** dcap-qvl reports validity-window failures only through message text. */
const expiryMessage = /expired|not yet valid|issue date is in the future/i;

/**
 * Verifies the Intel signature chain, QE identity and TCB level of a DCAP quote with
 * `@phala/dcap-qvl`, and maps its plain `Error`s to named errors (expiry gets its own).
 */
export function verifyIntelQuote(params: VerifyIntelQuoteParameters): VerifyIntelQuoteReturnType {
  let status: TcbStatus;
  let advisoryIds: string[];
  try {
    const report = verify(params.quote, params.collateral, params.nowSeconds);
    status = report.status;
    advisoryIds = report.advisory_ids;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const at = new Date(params.nowSeconds * 1000).toISOString();
    if (expiryMessage.test(message)) {
      throw new CollateralExpiredError(`Quote collateral is not valid at ${at}`, { cause, details: message });
    }
    throw new QuoteSignatureError("Intel quote verification failed", { cause, details: message });
  }
  const accepted = params.acceptedTcbStatuses ?? DEFAULT_ACCEPTED_TCB_STATUSES;
  if (!accepted.includes(status)) {
    throw new TcbStatusRejectedError(`TCB status ${status} is not accepted`, {
      details: `accepted: ${accepted.join(", ")}; advisories: ${advisoryIds.join(", ") || "none"}`,
      hint: "The platform needs a microcode/firmware update, or the policy must accept this status.",
    });
  }
  return { tcbStatus: status, advisoryIds };
}
