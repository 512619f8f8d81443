export {
  type GetEquivocationSlashAmountParameters,
  type GetEquivocationSlashAmountReturnType,
  getEquivocationSlashAmount,
} from "./getEquivocationSlashAmount.js";
export {
  type GetReceiptDigestParameters,
  type GetReceiptDigestReturnType,
  getReceiptDigest,
} from "./getReceiptDigest.js";
export {
  type IsEquivocationEvidenceUsedParameters,
  type IsEquivocationEvidenceUsedReturnType,
  isEquivocationEvidenceUsed,
} from "./isEquivocationEvidenceUsed.js";
export {
  type ReportEquivocationParameters,
  type ReportEquivocationReturnType,
  reportEquivocation,
} from "./reportEquivocation.js";
