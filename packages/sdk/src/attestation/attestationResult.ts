import type { Hex } from "viem";
import type { AttestationError } from "./errors.js";

/** The checks of a runner attestation, in the order they are reported. */
export type AttestationCheckId =
  | "quote-signature"
  | "tee-type"
  | "debug-off"
  | "rtmr3-replay"
  | "os-image-allowed"
  | "compose-hash-allowed"
  | "report-data"
  | "quote-hash"
  | "attestation-fresh";

export type AttestationCheck = {
  id: AttestationCheckId;
  title: string;
  /** `skip` when an earlier fact this check needs could not be established. */
  status: "pass" | "fail" | "skip";
  detail: string;
  error?: AttestationError;
};

/** Everything a CLI or web page prints about one verification. */
export type AttestationVerdict = {
  ok: boolean;
  kind: "tdx" | "dev" | "unknown";
  quoteHash: Hex | undefined;
  composeHash: Hex | undefined;
  /** `osImageMeasurement` of the quote's TD report: what the model's OS allowlist holds. */
  osImage: Hex | undefined;
  /** The boot section's `os-image-hash` event (dstack's image digest, written by the guest; informative only). */
  osImageHash: Hex | undefined;
  tcbStatus: string | undefined;
  checks: AttestationCheck[];
  /** Seconds since epoch after which the verdict must be recomputed; undefined when not ok. */
  expiresAt: number | undefined;
  /** The first failing check's error; undefined when ok. */
  error: AttestationError | undefined;
};
