import { type Hex, hexToBytes, isHex } from "viem";
import {
  checkComposeHash,
  checkDebugOff,
  checkDevQuoteSignature,
  checkFreshness,
  checkIntelSignature,
  checkOsImage,
  checkQuoteHash,
  checkReportData,
  checkRtmr3,
  checkTeeType,
  type SignatureFacts,
} from "./attestationChecks.js";
import type {
  AttestationPolicy,
  RunnerAttestationEvidence,
  RunnerRegistrationFacts,
} from "./attestationPolicy.js";
import type { AttestationCheck, AttestationCheckId, AttestationVerdict } from "./attestationResult.js";
import { decodeDevQuote, isDevQuote } from "./devQuote.js";
import { AttestationError, QuoteFormatError } from "./errors.js";
import { type DstackEvent, parseEventLog } from "./eventLog.js";
import { osImageMeasurement } from "./osImage.js";
import { parseIntelQuote } from "./parseQuote.js";
import { canonicalQuote, computeQuoteHash } from "./quoteHash.js";
import { extractComposeHash, extractOsImageHash } from "./runtimeEvents.js";
import type { TdReport } from "./tdReport.js";

export type VerifyRunnerAttestationParameters = {
  evidence: RunnerAttestationEvidence;
  registration: RunnerRegistrationFacts;
  policy?: AttestationPolicy;
};

export type VerifyRunnerAttestationReturnType = AttestationVerdict;

const titles: Record<AttestationCheckId, string> = {
  "quote-signature": "Quote signature and TCB status",
  "tee-type": "TEE type is TDX",
  "debug-off": "Debug mode is off",
  "rtmr3-replay": "RTMR3 matches the replayed event log",
  "os-image-allowed": "OS image (MRTD, RTMR0-2) is in the model's allowlist",
  "compose-hash-allowed": "Compose hash is in the model's allowlist",
  "report-data": "Report data commits to the registration",
  "quote-hash": "Quote hash matches the registration",
  "attestation-fresh": "Attestation is within the model's TTL",
};

/** Marks a check that could not run because a fact it needs is missing. */
class Skip {
  constructor(readonly detail: string) {}
}

async function runCheck(id: AttestationCheckId, body: () => string | Skip | Promise<string | Skip>) {
  try {
    const outcome = await body();
    if (outcome instanceof Skip)
      return { id, title: titles[id], status: "skip", detail: outcome.detail } as const;
    return { id, title: titles[id], status: "pass", detail: outcome } as const;
  } catch (cause) {
    const error =
      cause instanceof AttestationError
        ? cause
        : new AttestationError(`Check "${id}" failed unexpectedly`, { cause, details: String(cause) });
    return { id, title: titles[id], status: "fail", detail: error.shortMessage, error } as const;
  }
}

type ParsedEvidence = {
  quote: Uint8Array;
  quoteHash: Hex;
  kind: "tdx" | "dev";
  teeType: number | "dev";
  tdReport: TdReport | undefined;
  verifySignature: () => SignatureFacts | Promise<SignatureFacts>;
};

function quoteBytes(quote: Hex | Uint8Array): Uint8Array {
  if (quote instanceof Uint8Array) return quote;
  const prefixed = quote.startsWith("0x") ? quote : (`0x${quote}` as Hex);
  if (!isHex(prefixed, { strict: true }) || prefixed.length % 2 !== 0) {
    throw new QuoteFormatError("Quote is not a hex string");
  }
  return hexToBytes(prefixed);
}

function parseEvidence(
  evidence: RunnerAttestationEvidence,
  registration: RunnerRegistrationFacts,
  policy: AttestationPolicy,
  nowSeconds: number,
): ParsedEvidence {
  // Everything below reads, hashes and verifies the canonical bytes only.
  const quote = canonicalQuote(quoteBytes(evidence.quote));
  const quoteHash = computeQuoteHash(quote);
  if (isDevQuote(quote)) {
    const dev = decodeDevQuote(quote);
    return {
      quote,
      quoteHash,
      kind: "dev",
      teeType: "dev",
      tdReport: dev.tdReport,
      verifySignature: () => checkDevQuoteSignature(dev, policy, registration.chainId),
    };
  }
  const intel = parseIntelQuote(quote);
  return {
    quote,
    quoteHash,
    kind: "tdx",
    teeType: intel.teeType,
    tdReport: intel.tdReport,
    verifySignature: () => checkIntelSignature(quote, quoteHash, policy, nowSeconds, policy.cache),
  };
}

function failedToParse(error: AttestationError): AttestationVerdict {
  const checks: AttestationCheck[] = Object.entries(titles).map(([id, title], index) =>
    index === 0
      ? { id: id as AttestationCheckId, title, status: "fail", detail: error.shortMessage, error }
      : { id: id as AttestationCheckId, title, status: "skip", detail: "the quote could not be parsed" },
  );
  return {
    ok: false,
    kind: "unknown",
    quoteHash: undefined,
    composeHash: undefined,
    osImage: undefined,
    osImageHash: undefined,
    tcbStatus: undefined,
    checks,
    expiresAt: undefined,
    error,
  };
}

function earliest(...times: (number | undefined)[]): number | undefined {
  const defined = times.filter((time): time is number => time !== undefined);
  return defined.length === 0 ? undefined : Math.min(...defined);
}

/**
 * Verifies a runner's attestation against its on-chain registration, in this order: Intel
 * signature chain and TCB status (or, for dev quotes, policy and dev signature); TEE type TDX;
 * debug off; RTMR3 replayed from recomputed event digests; OS image (MRTD, RTMR0-2) allowlisted; compose hash
 * allowlisted; report
 * data equals the registration commitment; quote hash equals the registered one; attestation
 * within the TTL. Every check is reported (skipped when a fact it needs is missing); the
 * verdict passes only when all pass. Never throws for a bad attestation: read `verdict.error`.
 *
 * @example
 * const verdict = await verifyRunnerAttestation({ evidence: { quote, eventLog }, registration, policy });
 * for (const check of verdict.checks) console.log(check.status, check.title, check.detail);
 */
export async function verifyRunnerAttestation(
  params: VerifyRunnerAttestationParameters,
): Promise<VerifyRunnerAttestationReturnType> {
  const { evidence, registration } = params;
  const policy = params.policy ?? {};
  const nowSeconds = policy.now?.() ?? Date.now() / 1000;
  let parsed: ParsedEvidence;
  try {
    parsed = parseEvidence(evidence, registration, policy, nowSeconds);
  } catch (cause) {
    if (cause instanceof AttestationError) return failedToParse(cause);
    throw cause;
  }
  const { tdReport } = parsed;
  const noReport = new Skip("the quote carries no TD report");
  let signature: SignatureFacts | undefined;
  let events: DstackEvent[] | undefined;
  let composeHash: Hex | undefined;
  let osImageHash: Hex | undefined;
  const osImage = tdReport === undefined ? undefined : osImageMeasurement(tdReport);

  const checks: AttestationCheck[] = [];
  checks.push(
    await runCheck("quote-signature", async () => {
      signature = await parsed.verifySignature();
      return signature.detail;
    }),
  );
  checks.push(await runCheck("tee-type", () => checkTeeType(parsed.teeType)));
  checks.push(
    await runCheck("debug-off", () => (tdReport === undefined ? noReport : checkDebugOff(tdReport))),
  );
  checks.push(
    await runCheck("rtmr3-replay", () => {
      if (tdReport === undefined) return noReport;
      const parsedEvents = parseEventLog(evidence.eventLog);
      const detail = checkRtmr3(tdReport, parsedEvents);
      events = parsedEvents;
      return detail;
    }),
  );
  checks.push(
    await runCheck("os-image-allowed", () =>
      osImage === undefined ? noReport : checkOsImage(registration.allowedOsImages, osImage),
    ),
  );
  checks.push(
    await runCheck("compose-hash-allowed", () => {
      if (events === undefined) return new Skip("the event log did not replay to the quote's RTMR3");
      composeHash = extractComposeHash(events);
      osImageHash = extractOsImageHash(events);
      return checkComposeHash(registration.allowedComposeHashes, composeHash);
    }),
  );
  checks.push(
    await runCheck("report-data", () =>
      tdReport === undefined ? noReport : checkReportData(tdReport, registration),
    ),
  );
  checks.push(await runCheck("quote-hash", () => checkQuoteHash(parsed.quoteHash, registration.quoteHash)));
  checks.push(
    await runCheck("attestation-fresh", () =>
      checkFreshness(registration, nowSeconds, policy.maxClockSkewSeconds ?? 300),
    ),
  );

  const firstProblem = checks.find((check) => check.status !== "pass");
  const ok = firstProblem === undefined;
  const ttlEnd = Number(registration.attestedAt) + Number(registration.attestationTtl);
  return {
    ok,
    kind: parsed.kind,
    quoteHash: parsed.quoteHash,
    composeHash,
    osImage,
    osImageHash,
    tcbStatus: signature?.tcbStatus,
    checks,
    expiresAt: ok ? earliest(ttlEnd, signature?.expiresAt) : undefined,
    error: checks.find((check) => check.error !== undefined)?.error,
  };
}
