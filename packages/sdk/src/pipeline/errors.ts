import { TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";
import type { SignedReceipt } from "../receipts/receipt.js";

export type PipelineErrorOptions = TeeTeeErrorOptions & {
  /** HTTP status the runner answered (or would answer) with; 502 when the runner could not be reached. */
  status?: number;
  /** Position in the route of the runner that refused, when known. */
  hop?: number;
  /** Signed receipts the refusal came with (see {@link PipelineError.receipts}). */
  receipts?: readonly SignedReceipt[];
};

/** Base of every failure sending frames through a route. `status` follows HTTP: 4xx is the caller's to fix. */
export class PipelineError extends TeeTeeError {
  override name: string = "PipelineError";
  readonly status: number;
  readonly hop: number | undefined;
  /**
   * Signed receipts that came back with the failure, in shard order: a runner whose next runner failed a receipt
   * frame still answers its own receipt and those it got from the runners after it. Empty for most failures.
   */
  readonly receipts: readonly SignedReceipt[];

  constructor(shortMessage: string, options: PipelineErrorOptions = {}) {
    super(shortMessage, options);
    this.status = options.status ?? 500;
    this.hop = options.hop;
    this.receipts = options.receipts ?? [];
  }
}

/** A runner answered with an error frame or status: 400 malformed, 401 unauthenticated, 404 unknown session, 409 replay or out of order, 413 too big, 429/503 full, 502 a later runner failed. */
export class RunnerRefusedError extends PipelineError {
  override name = "RunnerRefusedError" as const;
}

/** The runner could not be reached, or answered with something that is not a frame. */
export class RunnerUnreachableError extends PipelineError {
  override name = "RunnerUnreachableError" as const;
}

/** A runner's published attestation is malformed or does not match what the route claims. */
export class RunnerAttestationMismatchError extends PipelineError {
  override name = "RunnerAttestationMismatchError" as const;
}

/** The route itself is unusable (empty, shards out of order, wrong reply kind). */
export class RouteError extends PipelineError {
  override name = "RouteError" as const;
}

/**
 * The route signed only part of its receipt chain: a runner could not sign, or could not pass the receipt frame on.
 * `receipts` is the chain from shard 0 as far as it came back (possibly empty), `missingShards` the shards without
 * one; `status` and `hop` are the failure's, and `cause` the runner's refusal.
 */
export class PartialReceiptsError extends PipelineError {
  override name = "PartialReceiptsError" as const;
  readonly missingShards: number[];

  constructor(
    receipts: readonly SignedReceipt[],
    shardCount: number,
    options: Omit<PipelineErrorOptions, "receipts"> = {},
  ) {
    const missingShards = Array.from({ length: shardCount - receipts.length }, (_, i) => receipts.length + i);
    super(`The route signed ${receipts.length} of its ${shardCount} receipts`, {
      details: `no receipt of shard${missingShards.length === 1 ? "" : "s"} ${missingShards.join(", ")}`,
      ...options,
      receipts,
    });
    this.missingShards = missingShards;
  }
}
