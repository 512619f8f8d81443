import { bytesToHex } from "viem";
import { ENVELOPE_CONTENT_TYPE, PLAIN_FRAME_CONTENT_TYPE } from "../protocol/paths.js";
import { decodeFrame } from "../wire/decodeFrame.js";
import { encodeFrame } from "../wire/encodeFrame.js";
import { WireError } from "../wire/errors.js";
import type { DecodedFrame, Frame } from "../wire/frame.js";
import { retryAfterOf } from "../wire/retryAfter.js";
import { createWireChannel, type WireChannel } from "../wire/WireChannel.js";
import { RunnerRefusedError, RunnerUnreachableError } from "./errors.js";
import { normalizePublicKey, type RouteRunner } from "./RouteVerifier.js";
import { type FrameTransport, sendFrame } from "./sendFrame.js";

export type FrameLinkParameters = {
  runner: RouteRunner;
  /** Seal frames to the runner's key (default). Off only against runners that allow plaintext, for benchmarks. */
  encrypt?: boolean;
  timeoutMs?: number;
  /** Default `stream`: one upgraded connection per runner, shared by every session of this process. */
  transport?: FrameTransport;
  /** Route position of the runner, named in errors. */
  hop?: number;
};

/** What one exchange cost on the wire. */
export type FrameExchange = { reply: DecodedFrame; bytesSent: number; bytesReceived: number };

/**
 * One sender's link to one runner for one session: it seals each frame to the runner's attested key under a
 * channel made once (one ECDH per session and runner), sends it (see {@link sendFrame}), and opens and checks the reply. A reply
 * that is an error frame, or an HTTP error without a frame, becomes a {@link RunnerRefusedError} carrying
 * the runner's status (and the signed receipts an error frame came with).
 */
export class FrameLink {
  readonly runner: RouteRunner;
  readonly #channel: WireChannel | undefined;
  readonly #transport: FrameTransport;
  readonly #timeoutMs: number | undefined;
  readonly #hop: number | undefined;

  constructor(params: FrameLinkParameters) {
    this.runner = params.runner;
    this.#channel =
      params.encrypt === false
        ? undefined
        : createWireChannel({ recipientPublicKey: normalizePublicKey(params.runner.publicKey) });
    this.#transport = params.transport ?? "stream";
    this.#timeoutMs = params.timeoutMs;
    this.#hop = params.hop;
  }

  get encrypted(): boolean {
    return this.#channel !== undefined;
  }

  /** Sends `frame` and returns the runner's result frame; throws for error frames and failures. */
  async exchange(frame: Frame): Promise<FrameExchange> {
    const body = this.#channel === undefined ? encodeFrame(frame) : this.#channel.seal(frame);
    const response = await sendFrame({
      endpoint: this.runner.endpoint,
      transport: this.#transport,
      body,
      contentType: this.#channel === undefined ? PLAIN_FRAME_CONTENT_TYPE : ENVELOPE_CONTENT_TYPE,
      ...(this.#timeoutMs === undefined ? {} : { timeoutMs: this.#timeoutMs }),
    });
    const reply = this.#open(response.status, response.contentType, response.body);
    if (reply.kind === "error" && reply.payload.type === "error") {
      throw new RunnerRefusedError(reply.payload.message, {
        status: reply.payload.code,
        retryAfterSeconds: retryAfterOf(reply.payload.message),
        ...(reply.payload.receipts === undefined ? {} : { receipts: reply.payload.receipts }),
        ...this.#where(),
      });
    }
    if (
      reply.kind !== "result" ||
      bytesToHex(reply.sessionId) !== bytesToHex(frame.sessionId) ||
      reply.step !== frame.step
    ) {
      throw new RunnerRefusedError("Runner answered with a frame that is not this request's result", {
        status: 502,
        ...this.#where(),
      });
    }
    return { reply, bytesSent: body.byteLength, bytesReceived: response.body.byteLength };
  }

  #where(): { hop?: number; details: string } {
    return {
      ...(this.#hop === undefined ? {} : { hop: this.#hop }),
      details: `runner ${this.runner.runner} at ${this.runner.endpoint}`,
    };
  }

  #open(status: number, contentType: string, body: Uint8Array): DecodedFrame {
    const expected = this.#channel === undefined ? PLAIN_FRAME_CONTENT_TYPE : ENVELOPE_CONTENT_TYPE;
    if (contentType !== expected) {
      throw new RunnerRefusedError(describeNonFrame(status, contentType, body), {
        status: status >= 400 ? status : 502,
        ...this.#where(),
      });
    }
    try {
      return this.#channel === undefined ? decodeFrame(body) : this.#channel.openReply(body);
    } catch (cause) {
      if (!(cause instanceof WireError)) throw cause;
      throw new RunnerUnreachableError("Runner's reply could not be opened", {
        cause,
        status: 502,
        ...this.#where(),
      });
    }
  }
}

/** Runners answer JSON `{ error: { message } }` when they could not even open the frame. */
function describeNonFrame(status: number, contentType: string, body: Uint8Array): string {
  if (contentType === "application/json") {
    try {
      const parsed = JSON.parse(Buffer.from(body).toString("utf8")) as { error?: { message?: unknown } };
      if (typeof parsed.error?.message === "string") return parsed.error.message;
    } catch {
      // fall through to the generic description
    }
  }
  return `Runner answered HTTP ${status} (${contentType || "no content type"}) instead of a frame`;
}
