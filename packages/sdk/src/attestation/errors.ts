import { TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";

/** Base of every attestation failure; each subclass names one refused check. */
export class AttestationError extends TeeTeeError {
  override name: string = "AttestationError";
}

/** The quote bytes are not a well-formed TDX, SGX or TeeTee development quote. */
export class QuoteFormatError extends AttestationError {
  override name = "QuoteFormatError" as const;
}

/** Intel's signature chain, QE identity or TCB level did not verify. */
export class QuoteSignatureError extends AttestationError {
  override name = "QuoteSignatureError" as const;
}

/** The collateral (TCB info, QE identity, CRLs, certificates) is outside its validity window. */
export class CollateralExpiredError extends AttestationError {
  override name = "CollateralExpiredError" as const;
  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(shortMessage, {
      hint: "Fetch fresh collateral from a PCCS (Intel publishes new TCB info about monthly) and verify again.",
      ...options,
    });
  }
}

/** Collateral could not be obtained for a quote. */
export class CollateralUnavailableError extends AttestationError {
  override name = "CollateralUnavailableError" as const;
}

/** The platform's TCB status is one the policy does not accept. */
export class TcbStatusRejectedError extends AttestationError {
  override name = "TcbStatusRejectedError" as const;
}

/** The quote is not from an Intel TDX trust domain (for example an SGX enclave quote). */
export class TeeTypeMismatchError extends AttestationError {
  override name = "TeeTypeMismatchError" as const;
}

/** The trust domain runs in debug mode, so its memory is readable by the host. */
export class DebugModeError extends AttestationError {
  override name = "DebugModeError" as const;
}

/** The event log is malformed or cannot be replayed. */
export class EventLogError extends AttestationError {
  override name = "EventLogError" as const;
}

/** RTMR3 replayed from recomputed event digests differs from the quote's RTMR3. */
export class Rtmr3MismatchError extends AttestationError {
  override name = "Rtmr3MismatchError" as const;
}

/** The measured compose hash is not in the model's on-chain allowlist. */
export class ComposeHashNotAllowedError extends AttestationError {
  override name = "ComposeHashNotAllowedError" as const;
}

/** The OS the runner booted (its MRTD and RTMR0-2) is not in the model's on-chain allowlist. */
export class OsImageNotAllowedError extends AttestationError {
  override name = "OsImageNotAllowedError" as const;
}

/** The quote's report data is not the commitment to this runner's registration. */
export class ReportDataMismatchError extends AttestationError {
  override name = "ReportDataMismatchError" as const;
}

/** keccak256 of the quote differs from the quote hash registered on-chain. */
export class QuoteHashMismatchError extends AttestationError {
  override name = "QuoteHashMismatchError" as const;
}

/** The on-chain attestation is older than the model's attestation TTL (or dated in the future). */
export class AttestationExpiredError extends AttestationError {
  override name = "AttestationExpiredError" as const;
}

/** A development quote was presented where the policy or chain does not allow them. */
export class DevQuoteRefusedError extends AttestationError {
  override name = "DevQuoteRefusedError" as const;
}

/** A development quote's signature is invalid or its signer is not trusted. */
export class DevQuoteSignatureError extends AttestationError {
  override name = "DevQuoteSignatureError" as const;
}
