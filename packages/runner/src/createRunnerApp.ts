import { TeeTeeError } from "@teetee/errors";
import {
  ATTESTATION_PATH,
  ENVELOPE_CONTENT_TYPE,
  FRAMES_PATH,
  HEALTH_PATH,
  LOAD_PATH,
  METRICS_PATH,
  PLAIN_FRAME_CONTENT_TYPE,
  REGISTRATION_PATH,
  type RunnerAttestationDocument,
  type RunnerLoad,
} from "@teetee/sdk/protocol";
import {
  type DecodedFrame,
  decodeFrame,
  encodeFrame,
  type Frame,
  ReplayGuard,
  type WireReceiver,
} from "@teetee/sdk/wire";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { BatchScheduler } from "./BatchScheduler.js";
import type { RegistrationOutcome } from "./ensureRegistration.js";
import { messageOf, RunnerError, statusOf } from "./errors.js";
import type { FrameHandler } from "./FrameHandler.js";
import type { RunnerMetrics } from "./metrics.js";
import type { SessionStore } from "./SessionStore.js";

export type RunnerAppParameters = {
  handler: FrameHandler;
  receiver: WireReceiver;
  /** Present only when plaintext frames are allowed (benchmarks on a local chain). */
  plainGuard: ReplayGuard | undefined;
  store: SessionStore;
  /** The shard's batch scheduler: its load for `/v1/load`, and when a refused frame may be sent again. */
  scheduler: BatchScheduler;
  metrics: RunnerMetrics;
  attestation: RunnerAttestationDocument;
  maxBodyBytes: number;
  log: Logger;
  /**
   * Signs, with the runner key, the call that registers this runner for its configured contributor (or refreshes
   * its attestation), so the contributor can submit it from a wallet that never enters the TEE.
   */
  registration: () => Promise<RegistrationOutcome>;
};

type Opened = { frame: DecodedFrame; encrypted: boolean; seal: (reply: Frame) => Uint8Array };

/**
 * The runner's HTTP surface: `POST /v1/frames` (binary frames, sealed or, in benchmarks, plain),
 * `GET /v1/attestation`, `GET /v1/load`, `GET /healthz`, `GET /metrics`. Errors are answered in one place: as a sealed error
 * frame when the sender can read one, else as JSON, always with the status a client can act on.
 */
export function createRunnerApp(params: RunnerAppParameters): express.Express {
  const { metrics, store, attestation } = params;
  const processFrame = createFrameProcessor(params);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get(HEALTH_PATH, (_req, res) => {
    res.json({
      status: "ok",
      runner: attestation.runner,
      modelId: attestation.modelId,
      shardIndex: attestation.shardIndex,
      sessions: store.size,
      kvCacheBytes: store.kvBytes,
      kv: store.kvUsage,
    });
  });

  app.get(ATTESTATION_PATH, (_req, res) => {
    res.json(attestation);
  });

  // Public and read by the web explorer from the browser: any origin may read it.
  app.get(LOAD_PATH, (_req, res) => {
    res.set("Access-Control-Allow-Origin", "*").json(runnerLoad(params));
  });

  app.get(REGISTRATION_PATH, async (_req, res) => {
    res.json(await params.registration());
  });

  app.get(METRICS_PATH, async (_req, res) => {
    metrics.sessions.set(store.size);
    const kv = store.kvUsage;
    metrics.kvBytes.set(kv.allocatedBytes);
    metrics.kvReservedBytes.set(kv.reservedBytes);
    metrics.batchBufferBytes.set(kv.batchBufferBytes);
    metrics.queueDepth.set(params.scheduler.queuedSteps);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.post(
    FRAMES_PATH,
    express.raw({ type: [ENVELOPE_CONTENT_TYPE, PLAIN_FRAME_CONTENT_TYPE], limit: params.maxBodyBytes }),
    async (req, res) => {
      const body =
        req.body instanceof Buffer
          ? new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength)
          : new Uint8Array(0);
      const reply = await processFrame(req.get("content-type") ?? "", body);
      if (reply.retryAfterSeconds !== undefined) res.set("Retry-After", String(reply.retryAfterSeconds));
      res.status(reply.status).type(reply.contentType).end(reply.body);
    },
  );

  app.use((_req, res) => {
    res.status(404).json({ error: { status: 404, message: "Not found" } });
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const reply = refusal(params, error);
    if (reply.retryAfterSeconds !== undefined) res.set("Retry-After", String(reply.retryAfterSeconds));
    res.status(reply.status).type(reply.contentType).end(reply.body);
  });

  return app;
}

/**
 * A frame's answer, whichever transport carries it: the status and body `POST /v1/frames` answers with, and for a
 * refusal that may pass later the seconds to wait (POST's `Retry-After` header; the frame stream's records carry it
 * only in the error's message, `... (retry after N s)`, as error frames always do).
 */
export type FrameReply = {
  status: number;
  contentType: string;
  body: Uint8Array;
  retryAfterSeconds?: number;
};

/**
 * Opens, serves and answers one frame body. Never throws: a frame that cannot be opened is answered with JSON
 * `{ error: { status, name, message } }`, one that fails after opening with an error frame sealed to its sender.
 */
export function createFrameProcessor(
  params: RunnerAppParameters,
): (contentType: string, body: Uint8Array) => Promise<FrameReply> {
  const { handler, metrics, log } = params;
  // Plain `await` frames repeat the step they wait for: they get a replay sequence of their own.
  const plainAwaitGuard = params.plainGuard === undefined ? undefined : new ReplayGuard();
  return async (contentType, body) => {
    const started = performance.now();
    let opened: Opened;
    try {
      if (body.byteLength === 0) {
        throw new RunnerError(`Send a frame as ${ENVELOPE_CONTENT_TYPE}`, { status: 415 });
      }
      metrics.receivedBytes.inc(body.byteLength);
      opened = open(params, plainAwaitGuard, contentType, body);
    } catch (error) {
      return refusal(params, error);
    }
    const { frame } = opened;
    let reply: Frame;
    let status = 200;
    let retryAfterSeconds: number | undefined;
    try {
      reply = await handler.handle(frame, { encrypted: opened.encrypted });
    } catch (error) {
      status = statusOf(error);
      retryAfterSeconds = retryAfterOf(params, error, status);
      logFailure(log, error, status, frame);
      reply = {
        kind: "error",
        sessionId: frame.sessionId,
        step: frame.step,
        sentAt: Date.now(),
        positionStart: frame.positionStart,
        positionCount: 0,
        payload: {
          type: "error",
          code: status,
          message: messageOf(error, retryAfterSeconds),
          ...(error instanceof RunnerError && error.receipts.length > 0 ? { receipts: error.receipts } : {}),
        },
      };
    }
    metrics.frames.inc({ kind: frame.kind, status });
    metrics.frameLatency.observe({ kind: frame.kind }, (performance.now() - started) / 1000);
    return {
      status,
      contentType: opened.encrypted ? ENVELOPE_CONTENT_TYPE : PLAIN_FRAME_CONTENT_TYPE,
      body: opened.seal(reply),
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
  };
}

/** The JSON answer to a frame that could not be opened (or a request that is not a frame). */
export function refusal(
  params: Pick<RunnerAppParameters, "log" | "metrics" | "maxBodyBytes"> &
    Partial<Pick<RunnerAppParameters, "scheduler">>,
  error: unknown,
): FrameReply {
  const status = bodyParserStatus(error) ?? statusOf(error);
  const retryAfterSeconds = retryAfterOf(params, error, status);
  const message =
    bodyParserStatus(error) === 413
      ? `Frame is larger than ${params.maxBodyBytes} bytes`
      : messageOf(error, retryAfterSeconds);
  if (status >= 500) params.log.error({ err: errorSummary(error) }, "request failed");
  else params.log.debug({ status, error: message }, "request refused");
  params.metrics.frames.inc({ kind: "unopened", status });
  return {
    status,
    contentType: "application/json",
    body: Buffer.from(JSON.stringify({ error: { status, name: errorName(error), message } })),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}

/**
 * When a refused frame may be sent again: the error's own hint, else for a 503 (runner full) the scheduler's
 * estimate from how fast its queue drains; none for refusals that waiting does not cure.
 */
function retryAfterOf(
  params: { scheduler?: Pick<BatchScheduler, "retryAfterSeconds"> },
  error: unknown,
  status: number,
): number | undefined {
  const own = error instanceof TeeTeeError ? error.retryAfterSeconds : undefined;
  if (own !== undefined) return own;
  if (status !== 503) return undefined;
  return params.scheduler?.retryAfterSeconds() ?? 1;
}

/** The `/v1/load` document: the scheduler's queue and utilization, the store's sessions and KV memory. */
function runnerLoad(params: RunnerAppParameters): RunnerLoad {
  const { scheduler, store } = params;
  return {
    ...scheduler.load(),
    sessions: store.size,
    maxSessions: store.limits.maxSessions,
    maxBatchSize: scheduler.limits.maxBatchSize,
    maxBatchPositions: scheduler.limits.maxBatchPositions,
    kv: { ...store.kvUsage, batchLimitBytes: scheduler.limits.batchKvBytes },
  };
}

function open(
  params: RunnerAppParameters,
  plainAwaitGuard: ReplayGuard | undefined,
  contentType: string,
  body: Uint8Array,
): Opened {
  if (contentType.startsWith(PLAIN_FRAME_CONTENT_TYPE)) {
    if (params.plainGuard === undefined) {
      throw new RunnerError("This runner accepts only sealed frames", {
        status: 401,
        hint: `Seal frames to the runner's attested key and send them as ${ENVELOPE_CONTENT_TYPE}.`,
      });
    }
    const frame = decodeFrame(body);
    const guard = frame.kind === "await" ? plainAwaitGuard! : params.plainGuard;
    guard.admit(frame.sessionId, frame.step, frame.sentAt);
    return { frame, encrypted: false, seal: encodeFrame };
  }
  const opened = params.receiver.open(body);
  return { frame: opened.frame, encrypted: true, seal: opened.sealReply };
}

/** body-parser marks its own refusals (413 too large, 400 bad length) with a 4xx status. */
function bodyParserStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error) || !("type" in error))
    return undefined;
  const { status } = error as { status: unknown };
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}

function errorSummary(error: unknown): { name: string; message: string } {
  return { name: errorName(error), message: messageOf(error) };
}

/** Logs what failed and for which session prefix: never payloads, which no error message carries either. */
function logFailure(log: Logger, error: unknown, status: number, frame: DecodedFrame): void {
  const fields = {
    status,
    kind: frame.kind,
    session: Buffer.from(frame.sessionId).toString("hex").slice(0, 8),
    step: frame.step,
    err: errorSummary(error),
  };
  if (status >= 500 && status !== 503) log.error(fields, "frame failed");
  else log.info(fields, "frame refused");
}
