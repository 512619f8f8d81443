import { TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";

export type PipelineErrorOptions = TeeTeeErrorOptions & {
  /** HTTP status the runner answered (or would answer) with; 502 when the runner could not be reached. */
  status?: number;
  /** Position in the route of the runner that refused, when known. */
  hop?: number;
};

/** Base of every failure sending frames through a route. `status` follows HTTP: 4xx is the caller's to fix. */
export class PipelineError extends TeeTeeError {
  override name: string = "PipelineError";
  readonly status: number;
  readonly hop: number | undefined;

  constructor(shortMessage: string, options: PipelineErrorOptions = {}) {
    super(shortMessage, options);
    this.status = options.status ?? 500;
    this.hop = options.hop;
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
