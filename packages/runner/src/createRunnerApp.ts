import {
  ATTESTATION_PATH,
  type DecodedFrame,
  decodeFrame,
  ENVELOPE_CONTENT_TYPE,
  encodeFrame,
  FRAMES_PATH,
  type Frame,
  HEALTH_PATH,
  METRICS_PATH,
  PLAIN_FRAME_CONTENT_TYPE,
  REGISTRATION_PATH,
  type ReplayGuard,
  type RunnerAttestationDocument,
  type WireReceiver,
} from "@teetee/sdk";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
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
 * `GET /v1/attestation`, `GET /healthz`, `GET /metrics`. Errors are answered in one place: as a sealed error
 * frame when the sender can read one, else as JSON, always with the status a client can act on.
 */
export function createRunnerApp(params: RunnerAppParameters): express.Express {
  const { handler, metrics, store, attestation, log } = params;
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
    });
  });

  app.get(ATTESTATION_PATH, (_req, res) => {
    res.json(attestation);
  });

  app.get(REGISTRATION_PATH, async (_req, res) => {
    res.json(await params.registration());
  });

  app.get(METRICS_PATH, async (_req, res) => {
    metrics.sessions.set(store.size);
    metrics.kvBytes.set(store.kvBytes);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.post(
    FRAMES_PATH,
    express.raw({ type: [ENVELOPE_CONTENT_TYPE, PLAIN_FRAME_CONTENT_TYPE], limit: params.maxBodyBytes }),
    async (req, res) => {
      const started = performance.now();
      const body =
        req.body instanceof Buffer
          ? new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength)
          : undefined;
      if (body === undefined || body.byteLength === 0) {
        throw new RunnerError(`Send a frame as ${ENVELOPE_CONTENT_TYPE}`, { status: 415 });
      }
      metrics.receivedBytes.inc(body.byteLength);
      const opened = open(params, req.get("content-type") ?? "", body);
      const { frame } = opened;
      let reply: Frame;
      let status = 200;
      try {
        reply = await handler.handle(frame, { encrypted: opened.encrypted });
      } catch (error) {
        status = statusOf(error);
        logFailure(log, error, status, frame);
        reply = {
          kind: "error",
          sessionId: frame.sessionId,
          step: frame.step,
          sentAt: Date.now(),
          positionStart: frame.positionStart,
          positionCount: 0,
          payload: { type: "error", code: status, message: messageOf(error) },
        };
      }
      metrics.frames.inc({ kind: frame.kind, status });
      metrics.frameLatency.observe({ kind: frame.kind }, (performance.now() - started) / 1000);
      res
        .status(status)
        .type(opened.encrypted ? ENVELOPE_CONTENT_TYPE : PLAIN_FRAME_CONTENT_TYPE)
        .end(opened.seal(reply));
    },
  );

  app.use((_req, res) => {
    res.status(404).json({ error: { status: 404, message: "Not found" } });
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = bodyParserStatus(error) ?? statusOf(error);
    const message =
      bodyParserStatus(error) === 413
        ? `Frame is larger than ${params.maxBodyBytes} bytes`
        : messageOf(error);
    if (status >= 500) log.error({ err: errorSummary(error) }, "request failed");
    else log.debug({ status, error: message }, "request refused");
    metrics.frames.inc({ kind: "unopened", status });
    res.status(status).json({ error: { status, name: errorName(error), message } });
  });

  return app;
}

function open(params: RunnerAppParameters, contentType: string, body: Uint8Array): Opened {
  if (contentType.startsWith(PLAIN_FRAME_CONTENT_TYPE)) {
    if (params.plainGuard === undefined) {
      throw new RunnerError("This runner accepts only sealed frames", {
        status: 401,
        hint: `Seal frames to the runner's attested key and send them as ${ENVELOPE_CONTENT_TYPE}.`,
      });
    }
    const frame = decodeFrame(body);
    params.plainGuard.admit(frame.sessionId, frame.step, frame.sentAt);
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
