import type { Collateral } from "@phala/dcap-qvl";
import { bytesToHex, type Hex } from "viem";
import { isLocalChainId } from "../contracts/chains/localChain.js";
import type { AttestationCache } from "./AttestationCache.js";
import type {
  AttestationPolicy,
  ComposeHashAllowlist,
  MeasurementAllowlist,
  OsImageAllowlist,
  RunnerRegistrationFacts,
} from "./attestationPolicy.js";
import { type CollateralSource, collateralExpiry, pccsCollateralSource } from "./collateral.js";
import { type DevQuote, verifyDevQuoteSignature } from "./devQuote.js";
import { DEV_QUOTE_DEFAULT_SIGNER_PUBLIC_KEY } from "./devQuoteSigner.js";
import {
  AttestationExpiredError,
  CollateralUnavailableError,
  ComposeHashNotAllowedError,
  DebugModeError,
  DevQuoteRefusedError,
  OsImageNotAllowedError,
  QuoteHashMismatchError,
  ReportDataMismatchError,
  Rtmr3MismatchError,
  TeeTypeMismatchError,
} from "./errors.js";
import type { DstackEvent } from "./eventLog.js";
import { TEE_TYPE_SGX, TEE_TYPE_TDX } from "./parseQuote.js";
import { replayRtmr } from "./replayRtmr.js";
import { computeReportData } from "./reportDataCommitment.js";
import { isDebugTd, type TdReport } from "./tdReport.js";
import { DEFAULT_ACCEPTED_TCB_STATUSES, verifyIntelQuote } from "./verifyIntelQuote.js";

/** What a passing signature check learnt: the TCB status and how long it holds. */
export type SignatureFacts = { detail: string; tcbStatus: string | undefined; expiresAt: number | undefined };

/** Dev quotes pass only with `allowDevQuotes` on a local chain, signed by a trusted key. */
export function checkDevQuoteSignature(
  quote: DevQuote,
  policy: AttestationPolicy,
  chainId: number | bigint,
): SignatureFacts {
  if (policy.allowDevQuotes !== true) {
    throw new DevQuoteRefusedError("Development quotes are not allowed by this policy", {
      hint: "Set allowDevQuotes only for local development; real runners must present Intel TDX quotes.",
    });
  }
  if (!isLocalChainId(chainId)) {
    throw new DevQuoteRefusedError(`Development quotes are refused on chain ${chainId}`, {
      details: "allowed only on local chains 31337 and 1337",
    });
  }
  verifyDevQuoteSignature(quote, policy.devQuoteSigners ?? [DEV_QUOTE_DEFAULT_SIGNER_PUBLIC_KEY]);
  return {
    detail: `development quote signed by trusted dev key ${quote.signerPublicKey} (local chain ${chainId})`,
    tcbStatus: undefined,
    expiresAt: undefined,
  };
}

async function resolveCollateral(
  source: Collateral | CollateralSource | undefined,
  quote: Uint8Array,
): Promise<Collateral> {
  if (typeof source === "function") return source(quote);
  if (source !== undefined) return source;
  return pccsCollateralSource()(quote);
}

/** Intel chain + TCB status, answered from the cache while the collateral is valid. */
export async function checkIntelSignature(
  quote: Uint8Array,
  quoteHash: Hex,
  policy: AttestationPolicy,
  nowSeconds: number,
  cache: AttestationCache | undefined,
): Promise<SignatureFacts> {
  const cached = cache?.get(quoteHash, nowSeconds);
  // The TCB status belongs to the quote and its collateral; whether it is good enough belongs to this policy, so a
  // verdict cached under another policy is reused only when this one accepts its status too.
  const accepted = policy.acceptedTcbStatuses ?? DEFAULT_ACCEPTED_TCB_STATUSES;
  if (cached !== undefined && (accepted as readonly string[]).includes(cached.tcbStatus)) {
    return {
      detail: `TCB ${cached.tcbStatus} (cached)`,
      tcbStatus: cached.tcbStatus,
      expiresAt: cached.expiresAt,
    };
  }
  const collateral = await resolveCollateral(policy.collateral, quote).catch((cause: unknown) => {
    if (cause instanceof CollateralUnavailableError) throw cause;
    throw new CollateralUnavailableError("Could not obtain collateral for the quote", { cause });
  });
  const { tcbStatus, advisoryIds } = verifyIntelQuote({
    quote,
    collateral,
    nowSeconds,
    ...(policy.acceptedTcbStatuses === undefined ? {} : { acceptedTcbStatuses: policy.acceptedTcbStatuses }),
  });
  const expiresAt = collateralExpiry(collateral);
  if (expiresAt !== undefined) cache?.set(quoteHash, { tcbStatus, advisoryIds, expiresAt });
  const advisories = advisoryIds.length === 0 ? "" : `; advisories ${advisoryIds.join(", ")}`;
  return { detail: `Intel DCAP chain verified; TCB ${tcbStatus}${advisories}`, tcbStatus, expiresAt };
}

export function checkTeeType(teeType: number | "dev"): string {
  if (teeType === "dev") return "TeeTee development TD (TDX report layout)";
  if (teeType === TEE_TYPE_TDX) return "Intel TDX (0x81)";
  const name = teeType === TEE_TYPE_SGX ? "SGX" : `0x${teeType.toString(16)}`;
  throw new TeeTypeMismatchError(`Quote TEE type is ${name}, expected TDX`);
}

export function checkDebugOff(report: TdReport): string {
  const attributes = bytesToHex(report.tdAttributes);
  if (isDebugTd(report.tdAttributes)) {
    throw new DebugModeError("Trust domain runs in debug mode", { details: `td_attributes ${attributes}` });
  }
  return `td_attributes ${attributes}: debug off`;
}

export function checkRtmr3(report: TdReport, events: readonly DstackEvent[]): string {
  const replayed = bytesToHex(replayRtmr(events, 3));
  const quoted = bytesToHex(report.rtmr3);
  if (replayed !== quoted) {
    throw new Rtmr3MismatchError("RTMR3 replayed from the event log differs from the quote", {
      details: `replayed ${replayed}, quote ${quoted}`,
    });
  }
  const count = events.filter((event) => event.imr === 3).length;
  return `${count} RTMR3 events replay to ${quoted}`;
}

async function isAllowed(allowlist: MeasurementAllowlist, value: Hex): Promise<boolean> {
  // Only `true` allows: a callback that answers a truthy non-boolean (a count, a record) has a bug, not an opinion.
  if (typeof allowlist === "function") return (await allowlist(value)) === true;
  for (const allowed of allowlist) {
    if (allowed.toLowerCase() === value) return true;
  }
  return false;
}

export async function checkOsImage(allowlist: OsImageAllowlist, osImage: Hex): Promise<string> {
  if (!(await isAllowed(allowlist, osImage))) {
    throw new OsImageNotAllowedError("OS image is not in the model's allowlist", {
      details: `SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) = ${osImage}`,
      hint: "The runner booted an OS (firmware, kernel, initrd, VM configuration) the model curator has not approved.",
    });
  }
  return `OS image ${osImage} is allowed`;
}

export async function checkComposeHash(allowlist: ComposeHashAllowlist, composeHash: Hex): Promise<string> {
  if (!(await isAllowed(allowlist, composeHash))) {
    throw new ComposeHashNotAllowedError("Compose hash is not in the model's allowlist", {
      details: composeHash,
      hint: "The runner runs a docker-compose the model curator has not approved.",
    });
  }
  return `compose hash ${composeHash} is allowed`;
}

export function checkReportData(report: TdReport, registration: RunnerRegistrationFacts): string {
  const expected = computeReportData(registration);
  const actual = bytesToHex(report.reportData);
  if (expected !== actual) {
    throw new ReportDataMismatchError("Report data is not the commitment to this registration", {
      details: `expected ${expected}, quote ${actual}`,
    });
  }
  return `report data commits to runner ${registration.runner}, shard ${registration.shardIndex}`;
}

export function checkQuoteHash(quoteHash: Hex, registered: Hex): string {
  if (quoteHash !== registered.toLowerCase()) {
    throw new QuoteHashMismatchError("Quote hash differs from the registered one", {
      details: `quote ${quoteHash}, registered ${registered}`,
    });
  }
  return `keccak256(quote) = ${quoteHash}`;
}

export function checkFreshness(
  registration: RunnerRegistrationFacts,
  nowSeconds: number,
  maxClockSkewSeconds: number,
): string {
  const attestedAt = Number(registration.attestedAt);
  const ttl = Number(registration.attestationTtl);
  const age = Math.floor(nowSeconds - attestedAt);
  if (attestedAt > nowSeconds + maxClockSkewSeconds) {
    throw new AttestationExpiredError("Attestation is dated in the future", { details: `age ${age} s` });
  }
  if (age > ttl) {
    throw new AttestationExpiredError("Attestation is older than the model's TTL", {
      details: `age ${age} s, TTL ${ttl} s`,
      hint: "The runner must attest again with a fresh quote.",
    });
  }
  return `attested ${Math.max(age, 0)} s ago, TTL ${ttl} s`;
}
