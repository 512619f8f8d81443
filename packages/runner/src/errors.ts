import { describe, hintOf, TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";
import { ForwardInputError, InferenceError, SamplingError, SequenceTooLongError } from "@teetee/inference";
import { listenFailure } from "@teetee/sdk/lifecycle";
import { PipelineError } from "@teetee/sdk/pipeline";
import type { SignedReceipt } from "@teetee/sdk/receipts";
import {
  FrameDecryptError,
  FrameReplayError,
  FrameTooLargeError,
  ReplayGuardFullError,
  WireError,
  withRetryAfter,
} from "@teetee/sdk/wire";

/**
 * Base of every runner failure; `status` is the HTTP status (and error-frame code) a client can act on, and
 * `receipts` the signed receipts its error frame carries (a receipt frame whose next hop failed: this runner's own
 * and those it got from the runners after it).
 */
export class RunnerError extends TeeTeeError {
  override name: string = "RunnerError";
  readonly status: number;
  readonly receipts: readonly SignedReceipt[];

  constructor(
    shortMessage: string,
    options: TeeTeeErrorOptions & { status?: number; receipts?: readonly SignedReceipt[] } = {},
  ) {
    super(shortMessage, options);
    this.status = options.status ?? 500;
    this.receipts = options.receipts ?? [];
  }
}

/** The runner refuses to start: bad configuration, tampered shard files, an unsealable key. */
export class RunnerStartupError extends RunnerError {
  override name: string = "RunnerStartupError";
}

/** The runner cannot listen where it was told to: the port is taken, or the address is not this machine's. */
export class RunnerListenError extends RunnerStartupError {
  override name = "RunnerListenError" as const;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, options: TeeTeeErrorOptions = {}) {
    const { message, hint } = listenFailure(host, port, options.cause);
    super(message, { hint, ...options });
    this.host = host;
    this.port = port;
  }
}

/** 400: the frame is well formed but asks for something this shard cannot do (wrong payload or shape). */
export class FrameRequestError extends RunnerError {
  override name = "FrameRequestError" as const;
  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(shortMessage, { ...options, status: 400 });
  }
}

/** 404: a decode or later prefill chunk for a session this runner does not hold (evicted, dropped, restarted). */
export class UnknownSessionError extends RunnerError {
  override name = "UnknownSessionError" as const;
  constructor(options: TeeTeeErrorOptions = {}) {
    super("Unknown session", {
      hint: "Start the session again with a prefill of the whole context from position 0.",
      ...options,
      status: 404,
    });
  }
}

/** 409: positions that do not continue the session's cache, or a second frame while one is in flight. */
export class SessionOrderError extends RunnerError {
  override name = "SessionOrderError" as const;
  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(shortMessage, { ...options, status: 409 });
  }
}

/** 413: more positions than this runner serves in one sequence. */
export class SequenceLimitError extends RunnerError {
  override name = "SequenceLimitError" as const;
  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(shortMessage, { ...options, status: 413 });
  }
}

/** 503: no room for another session or more KV cache right now; nothing held for other sessions is lost. */
export class RunnerFullError extends RunnerError {
  override name = "RunnerFullError" as const;
  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(shortMessage, { hint: "Retry later or on another runner of this shard.", ...options, status: 503 });
  }
}

/** 429: the buyer has too many requests here at once; the same request may pass after `retryAfterSeconds`. */
export class BuyerBusyError extends RunnerError {
  override name = "BuyerBusyError" as const;
  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(shortMessage, { ...options, status: 429 });
  }
}

/** 402: the payment hook refused the frame's voucher. */
export class PaymentRequiredError extends RunnerError {
  override name = "PaymentRequiredError" as const;
  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(shortMessage, { ...options, status: 402 });
  }
}

/** The HTTP status for any error thrown while serving a frame: the one place the runner maps errors to answers. */
export function statusOf(error: unknown): number {
  if (error instanceof RunnerError) return error.status;
  if (error instanceof PipelineError) return error.status;
  if (error instanceof FrameDecryptError) return 401;
  if (error instanceof FrameReplayError) return 409;
  if (error instanceof FrameTooLargeError) return 413;
  if (error instanceof ReplayGuardFullError) return 503;
  if (error instanceof WireError) return 400;
  if (error instanceof SequenceTooLongError) return 413;
  if (error instanceof ForwardInputError || error instanceof SamplingError) return 400;
  if (error instanceof InferenceError) return 500;
  return 500;
}

/**
 * The one-line message answered with `statusOf`'s status: what `describe` says of a TeeTee error (its TeeTee
 * causes included, other libraries' text left out) and its hint, never activations or prompt text, which no error
 * here carries. Anything else is a bug whose text stays in the log.
 */
export function messageOf(error: unknown, retryAfterSeconds?: number): string {
  if (!(error instanceof TeeTeeError)) return withRetryAfter("Internal runner error", retryAfterSeconds);
  const hint = hintOf(error);
  const sentence = describe(error, { foreign: false });
  return withRetryAfter(
    hint === undefined ? sentence : `${sentence} — ${hint}`,
    retryAfterSeconds ?? error.retryAfterSeconds,
  );
}
