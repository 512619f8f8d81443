import type { Collateral, TcbStatus } from "@phala/dcap-qvl";
import type { Hex } from "viem";
import type { AttestationCache } from "./AttestationCache.js";
import type { CollateralSource } from "./collateral.js";
import type { AttestationCommitmentParameters } from "./reportDataCommitment.js";

/** A quote and event log as the runner publishes them (dstack `GetQuote` output). */
export type RunnerAttestationEvidence = {
  quote: Hex | Uint8Array;
  /** dstack's `event_log` JSON string, or the parsed array. */
  eventLog: string | readonly unknown[];
};

/** An allowlist of 32-byte measurements: a set, or a callback that asks the chain (only `true` allows). */
export type MeasurementAllowlist =
  | ReadonlySet<Hex>
  | readonly Hex[]
  | ((value: Hex) => boolean | Promise<boolean>);

/** Allowlist of dstack compose hashes. */
export type ComposeHashAllowlist = MeasurementAllowlist;

/** Allowlist of OS images, each `osImageMeasurement` of a TD report (SHA-256 of MRTD and RTMR0-2). */
export type OsImageAllowlist = MeasurementAllowlist;

/**
 * The on-chain facts a runner's attestation is checked against. Plain values, so this module
 * needs no contract ABI: the caller reads them from the registry and the model record.
 */
export type RunnerRegistrationFacts = AttestationCommitmentParameters & {
  /** keccak256 of the quote, as registered. */
  quoteHash: Hex;
  /** Registration time of the quote, seconds since epoch. */
  attestedAt: number | bigint;
  /** The model's attestation time-to-live, seconds. */
  attestationTtl: number | bigint;
  allowedComposeHashes: ComposeHashAllowlist;
  allowedOsImages: OsImageAllowlist;
};

/** How strict the verifier is, and where it gets time and collateral. */
export type AttestationPolicy = {
  /** Accept TeeTee development quotes; only ever honoured on a local chain id. */
  allowDevQuotes?: boolean;
  /** Compressed public keys of trusted dev-tee signers; defaults to the well-known dev key. */
  devQuoteSigners?: readonly Hex[];
  acceptedTcbStatuses?: readonly TcbStatus[];
  /** Collateral for Intel quotes: a fixed object, or a source such as `pccsCollateralSource()`. */
  collateral?: Collateral | CollateralSource;
  /** Verification time in seconds since epoch; defaults to the wall clock. */
  now?: () => number;
  cache?: AttestationCache;
  /** Tolerance for an `attestedAt` slightly in the future (block time vs. local clock), seconds. */
  maxClockSkewSeconds?: number;
};
