export { TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";
export { AttestationCache, type CachedQuoteVerdict } from "./AttestationCache.js";
export { assertRunnerAttestation } from "./assertRunnerAttestation.js";
export type {
  AttestationPolicy,
  ComposeHashAllowlist,
  MeasurementAllowlist,
  OsImageAllowlist,
  RunnerAttestationEvidence,
  RunnerRegistrationFacts,
} from "./attestationPolicy.js";
export type { AttestationCheck, AttestationCheckId, AttestationVerdict } from "./attestationResult.js";
export {
  type CheckRunnerRegistrationParameters,
  type CheckRunnerRegistrationReturnType,
  checkRunnerRegistration,
  type RegistrationCheck,
  type RegistrationRefusal,
} from "./checkRunnerRegistration.js";
export {
  type Collateral,
  type CollateralSource,
  collateralExpiry,
  pccsCollateralSource,
  staticCollateralSource,
} from "./collateral.js";
export {
  DEV_QUOTE_LENGTH,
  DEV_QUOTE_MAGIC,
  type DevQuote,
  decodeDevQuote,
  isDevQuote,
  signDevQuote,
  verifyDevQuoteSignature,
} from "./devQuote.js";
export {
  DEV_QUOTE_DEFAULT_SIGNER_PRIVATE_KEY,
  DEV_QUOTE_DEFAULT_SIGNER_PUBLIC_KEY,
  devQuoteSignerPublicKey,
} from "./devQuoteSigner.js";
export * from "./errors.js";
export { computeEventDigest, DSTACK_RUNTIME_EVENT_TYPE } from "./eventDigest.js";
export { type DstackEvent, parseEventLog } from "./eventLog.js";
export { osImageMeasurement, quoteOsImage } from "./osImage.js";
export {
  type ParsedIntelQuote,
  parseIntelQuote,
  signedQuoteLength,
  TEE_TYPE_SGX,
  TEE_TYPE_TDX,
} from "./parseQuote.js";
export { canonicalQuote, computeQuoteHash, MAX_QUOTE_BYTES } from "./quoteHash.js";
export { extendRtmr, replayRtmr } from "./replayRtmr.js";
export {
  ATTESTATION_COMMITMENT_TAG,
  type AttestationCommitmentParameters,
  computeAttestationCommitment,
  computeReportData,
} from "./reportDataCommitment.js";
export {
  BOOT_COMPLETE_EVENT,
  bootEvents,
  extractComposeHash,
  extractOsImageHash,
  findRuntimeEventPayload,
} from "./runtimeEvents.js";
export { decodeTdReport, encodeTdReport, isDebugTd, TD_REPORT_LENGTH, type TdReport } from "./tdReport.js";
export {
  DEFAULT_ACCEPTED_TCB_STATUSES,
  type VerifyIntelQuoteParameters,
  type VerifyIntelQuoteReturnType,
  verifyIntelQuote,
} from "./verifyIntelQuote.js";
export {
  type RunnerVerificationCheck,
  type VerifyRegisteredRunnerParameters,
  verifyRegisteredRunner,
} from "./verifyRegisteredRunner.js";
export {
  type VerifyRunnerAttestationParameters,
  type VerifyRunnerAttestationReturnType,
  verifyRunnerAttestation,
} from "./verifyRunnerAttestation.js";
