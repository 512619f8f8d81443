import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  CLOSING_ID,
  encodeRecord,
  FRAME_STREAM_PROTOCOL,
  type FrameRecord,
  FrameStreamError,
  RECORD_TYPES,
  RecordReader,
  recordContentType,
  recordTypeOf,
} from "@teetee/sdk/pipeline";
import { FRAMES_PATH } from "@teetee/sdk/protocol";
import type { Logger } from "pino";
import { type FrameReply, refusal } from "./createRunnerApp.js";
import { RunnerError } from "./errors.js";
import type { RunnerMetrics } from "./metrics.js";

export type FrameStreamServerParameters = {
  processFrame: (contentType: string, body: Uint8Array) => Promise<FrameReply>;
  maxBodyBytes: number;
  /** Frames one connection may have in flight; more are answered 429 (default 64). */
  maxInFlight?: number;
  /**
   * A connection with nothing in flight and no bytes for this long is closed (default 10 minutes; senders reopen
   * on their next frame). Bounds what idle or abandoned connections hold.
   */
  idleTimeoutMs?: number;
  log: Logger;
  metrics: RunnerMetrics;
};

/** What {@link attachFrameStream} gives back: close every upgraded connection (they outlive `server.close`). */
export type FrameStreamServer = { connections: () => number; closeAll: () => void };

/**
 * Serves the frame stream (`GET /v1/frames` upgraded to `teetee-frames/1`, see the SDK's `frameStream.ts`) on the
 * runner's HTTP server. Each record is served exactly as `POST /v1/frames` serves a body, and answered with the
 * same status and body under the request's id. A record that breaks the framing (declared length over the body
 * limit, unknown type) is answered with a JSON error under its id, then under id 0 (the connection is closing),
 * and the connection ends; every other connection, and the runner, go on.
 */
export function attachFrameStream(server: Server, params: FrameStreamServerParameters): FrameStreamServer {
  const sockets = new Set<Duplex>();
  const maxInFlight = params.maxInFlight ?? 64;
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "").split("?")[0];
    if (path !== FRAMES_PATH || req.headers.upgrade?.toLowerCase() !== FRAME_STREAM_PROTOCOL) {
      const body = JSON.stringify({
        error: { status: 400, message: `Only ${FRAMES_PATH} upgrades, to ${FRAME_STREAM_PROTOCOL}` },
      });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${FRAME_STREAM_PROTOCOL}\r\n\r\n`,
    );
    if ("setNoDelay" in socket && typeof socket.setNoDelay === "function") socket.setNoDelay(true);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serveConnection(socket, head, params, maxInFlight, params.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  });
  return {
    connections: () => sockets.size,
    closeAll: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;

/** How long a connection whose framing broke may keep sending (discarded) before it is cut. */
const BROKEN_LINGER_MS = 5000;

function serveConnection(
  socket: Duplex,
  head: Buffer,
  params: FrameStreamServerParameters,
  maxInFlight: number,
  idleTimeoutMs: number,
): void {
  const reader = new RecordReader(params.maxBodyBytes);
  let inFlight = 0;
  // Idle means no bytes either way and no frame being served (a long prefill sends nothing while it computes).
  if ("setTimeout" in socket && typeof socket.setTimeout === "function") {
    socket.setTimeout(idleTimeoutMs, () => {
      if (inFlight === 0) socket.destroy();
    });
  }
  const answer = (id: number, reply: FrameReply) => {
    if (socket.destroyed || socket.writableEnded) return;
    socket.write(
      encodeRecord({ type: recordTypeOf(reply.contentType), id, status: reply.status, body: reply.body }),
    );
  };
  const serve = async (record: FrameRecord) => {
    if (record.refused !== undefined) {
      answer(record.id, refusal(params, record.refused));
      return;
    }
    if (record.type === RECORD_TYPES.error) {
      answer(
        record.id,
        refusal(params, new RunnerError("A sender sends frames, not errors", { status: 400 })),
      );
      return;
    }
    if (inFlight >= maxInFlight) {
      const error = new RunnerError(`More than ${maxInFlight} frames in flight on one connection`, {
        status: 429,
        hint: "Wait for replies before sending more frames.",
      });
      answer(record.id, refusal(params, error));
      return;
    }
    inFlight += 1;
    try {
      answer(record.id, await params.processFrame(recordContentType(record.type), record.body));
    } finally {
      inFlight -= 1;
    }
  };
  let broken = false;
  const receive = (chunk: Buffer) => {
    if (broken) return; // framing lost: what follows is discarded until the sender closes
    let records: FrameRecord[];
    try {
      records = reader.push(chunk);
    } catch (error) {
      // Answer what can be answered, then end this connection only; the sender sees the answer, then the close.
      broken = true;
      const reply = refusal(params, error);
      const id = error instanceof FrameStreamError ? error.recordId : undefined;
      if (id !== undefined && id !== CLOSING_ID) answer(id, reply);
      answer(CLOSING_ID, reply);
      socket.end();
      setTimeout(() => socket.destroy(), BROKEN_LINGER_MS).unref();
      return;
    }
    for (const record of records) void serve(record);
  };
  socket.on("data", receive);
  // Upgraded sockets allow half-open connections: a sender that is done gets the end answered.
  socket.on("end", () => socket.end());
  if (head.byteLength > 0) receive(head);
}
