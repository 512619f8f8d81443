import { TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";

/**
 * Why a payment was refused. Services map a code to a response in one place (the gateway to OpenAI's error
 * JSON, the runner to a wire error frame); the literal codes are stable for clients to switch on.
 */
export type PaymentErrorCode =
  | "invalid_api_key"
  | "payment_required"
  | "invalid_ticket"
  | "wrong_domain"
  | "bad_signature"
  | "signer_not_authorized"
  | "signer_expired"
  | "signer_revoked"
  | "signer_limit_exceeded"
  | "wrong_model"
  | "wrong_route"
  | "voucher_not_increasing"
  | "voucher_replayed"
  | "voucher_insufficient"
  | "insufficient_balance"
  | "too_many_open_requests"
  | "unknown_request";

/** Every refusal of the payments library: a stable `code`, a one-line `shortMessage`, a `hint`. */
export class PaymentError extends TeeTeeError {
  override name = "PaymentError" as const;
  readonly code: PaymentErrorCode;

  constructor(code: PaymentErrorCode, shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(shortMessage, options);
    this.code = code;
  }
}
