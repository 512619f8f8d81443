export { type Admission, PaymentLedger, type PaymentLedgerParameters } from "./PaymentLedger.js";
export { type SettleReport, Settler, type SettlerEvent, type SettlerParameters } from "./Settler.js";
export { type StoredChannel, VoucherStore } from "./VoucherStore.js";
export {
  type VerifyTicketSignatureParameters,
  type VoucherSignatureBackend,
  VoucherSignatureVerifier,
  type VoucherSignatureVerifierOptions,
  verifyTicketSignature,
} from "./verifyTicketSignature.js";
export { voucherDigest } from "./voucherDigest.js";
