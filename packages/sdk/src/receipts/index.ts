export {
  type AuditEvidence,
  type AuditEvidenceCheck,
  type AuditEvidenceJson,
  activationError,
  auditEvidenceHash,
  auditEvidenceJson,
  auditEvidenceSchema,
  checkAuditEvidence,
  DEFAULT_ACTIVATION_TOLERANCE,
  type EvidenceFrame,
  type EvidencePayload,
  evidenceRows,
  hiddenEvidence,
  parseAuditEvidence,
} from "./auditEvidence.js";
export {
  ReceiptChainError,
  ReceiptDomainError,
  ReceiptError,
  type ReceiptErrorName,
  ReceiptFormatError,
  ReceiptFromTheFutureError,
  ReceiptLinkError,
  ReceiptModelError,
  ReceiptRunnerInactiveError,
  ReceiptSignerError,
  ReceiptTextError,
  ReceiptTokensError,
  RouteReceiptsIncompleteError,
  receiptErrors,
} from "./errors.js";
export {
  type Equivocation,
  equivocationEvidenceHash,
  type FindEquivocationsParameters,
  type FindEquivocationsReturnType,
  findEquivocations,
} from "./findEquivocations.js";
export {
  type GetRunnerPeriodsParameters,
  type GetRunnerPeriodsReturnType,
  getRunnerPeriods,
  type RunnerPeriod,
} from "./getRunnerPeriods.js";
export {
  RECORD_FP16_ROW,
  RECORD_FP32_ROW,
  RECORD_HEADER_LENGTH,
  RECORD_TOKEN,
  type ReceiptFrame,
  ReceiptHasher,
  type ReceiptParams,
  type ReceiptSampling,
  receiptParamsHash,
  type StreamingHash,
} from "./ReceiptHasher.js";
export {
  hashReceipt,
  type Receipt,
  type ReceiptDomainParameters,
  receiptDomain,
  receiptTypes,
  recoverReceiptSigner,
  type SignedReceipt,
  signReceipt,
  ZERO_HASH,
} from "./receipt.js";
export {
  parseReceiptBundle,
  type ReceiptBundle,
  type ReceiptBundleJson,
  receiptBundleJson,
  receiptBundleSchema,
} from "./receiptBundle.js";
export { decodeSignedReceipt, encodeSignedReceipt, SIGNED_RECEIPT_LENGTH } from "./receiptBytes.js";
export type { ReceiptCheck } from "./receiptChecks.js";
export {
  type FindPeriodWithinParameters,
  findPeriodWithin,
  isFromTheFuture,
  RECEIPT_CLOCK_SKEW_SECONDS,
} from "./receiptClock.js";
export {
  parseSignedReceipt,
  type SignedReceiptJson,
  signedReceiptJson,
  signedReceiptSchema,
} from "./receiptJson.js";
export {
  assertReceipts,
  type VerifyReceiptsParameters,
  type VerifyReceiptsReturnType,
  verifyReceipts,
} from "./verifyReceipts.js";
