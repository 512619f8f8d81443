import { randomBytes } from "node:crypto";
import type { SignedReceipt } from "../receipts/receipt.js";
import type { Frame, FramePayload, RouteHop, WireSampling } from "../wire/frame.js";
import { SESSION_ID_LENGTH } from "../wire/frame.js";
import { PartialReceiptsError, PipelineError, RouteError } from "./errors.js";
import { FrameLink } from "./FrameLink.js";
import { normalizePublicKey, type RouteRunner } from "./RouteVerifier.js";
import type { FrameTransport } from "./sendFrame.js";

/**
 * `gateway`: the caller sends to every runner in turn and carries activations between them (2N hops a token).
 * `forward`: the caller sends to the first runner with the rest of the route; each runner verifies and
 * forwards to the next, and the last one answers the caller's `await` with the sampled token (N+1 hops a token).
 * Each runner's answer still travels back along the chain, off the token's path: it is how a failure reaches
 * the caller, naming the runner that failed.
 */
export type PipelineTopology = "gateway" | "forward";

export type CreatePipelineSessionParameters = {
  /** One runner per shard, in shard order. */
  route: readonly RouteRunner[];
  topology?: PipelineTopology;
  /** Sampling on the last shard; default greedy. */
  sampling?: Partial<WireSampling>;
  /** Dtype of activations between runners; default fp16 (half the bytes). */
  activationDtype?: "fp16" | "fp32";
  /** Seal every frame to its runner's key (default true). */
  encrypt?: boolean;
  /** Payment seam: voucher bytes to attach to each frame (none by default). */
  voucher?: () => Uint8Array | undefined;
  /** 16 bytes; random by default. */
  sessionId?: Uint8Array;
  timeoutMs?: number;
  /** Ask the last runner for each sampled token's log-probability (default false: `logprob` is NaN). */
  logprobs?: boolean;
  /** How frames travel to the runners this session sends to; default `stream`. */
  transport?: FrameTransport;
  /**
   * Told of every hop of every computing frame, with what the runner was sent and what it answered (`gateway`
   * topology only: in `forward` the activations never reach the caller). The auditor records a route this way.
   */
  observe?: (hop: HopExchange) => void;
};

/** One runner's part of one frame, as the caller saw it: the frame it was sent and its answer's payload. */
export type HopExchange = { hop: number; frame: Frame; output: FramePayload };

/** A sampled token; `logprob` is its log-probability when the session asked for them, else NaN. */
export type SampledToken = { tokenId: number; logprob: number };

/**
 * Bytes this session put on the wire, per route position, for the caller's own links; `awaitBytesSent` is what
 * its `await` frames to the last runner took (forwarding topology).
 */
export type PipelineTraffic = {
  frames: number;
  bytesSent: number[];
  bytesReceived: number[];
  awaitBytesSent: number;
};

const GREEDY: WireSampling = { temperature: 0, topK: 0, topP: 1, seed: 0 };

/**
 * One generation's session across a route of runners: prefill (optionally chunked), one decode per token,
 * then `receipts` for the route's signed account of what it computed (optional) and `close` to free every runner's
 * KV cache. Each call returns the last shard's sampled token; logits never leave the last runner.
 *
 * @example
 * const session = createPipelineSession({ route, topology: "forward" });
 * let token = await session.prefill(promptIds);
 * for (let i = 1; i < 64; i++) token = await session.decode(token.tokenId);
 * const receipts = await session.receipts();
 * await session.close();
 */
export class PipelineSession {
  readonly sessionId: Uint8Array;
  readonly topology: PipelineTopology;
  readonly traffic: PipelineTraffic;
  readonly #route: readonly RouteRunner[];
  readonly #links: FrameLink[];
  /** Forwarding over 2+ runners: the link on which the last runner answers `await`s. */
  readonly #last: FrameLink | undefined;
  /** The first failure of a step's answer along the chain, when it came after the step's token. */
  #chainFailure: unknown;
  readonly #sampling: WireSampling;
  readonly #activationDtype: "fp16" | "fp32";
  readonly #voucher: (() => Uint8Array | undefined) | undefined;
  readonly #logprobs: boolean;
  readonly #observe: ((hop: HopExchange) => void) | undefined;
  #step = 0;
  #position = 0;
  #closed = false;
  #receipts: Promise<SignedReceipt[]> | undefined;

  constructor(params: CreatePipelineSessionParameters) {
    if (params.route.length === 0) throw new RouteError("A route needs at least one runner", { status: 400 });
    this.sessionId = params.sessionId ?? new Uint8Array(randomBytes(SESSION_ID_LENGTH));
    if (this.sessionId.length !== SESSION_ID_LENGTH) {
      throw new RouteError(`Session ids are ${SESSION_ID_LENGTH} bytes`, { status: 400 });
    }
    this.topology = params.topology ?? "forward";
    this.#route = params.route;
    this.#sampling = { ...GREEDY, ...params.sampling };
    this.#activationDtype = params.activationDtype ?? "fp16";
    this.#voucher = params.voucher;
    this.#logprobs = params.logprobs === true;
    this.#observe = params.observe;
    if (this.#observe !== undefined && this.topology !== "gateway") {
      throw new RouteError("Only a gateway-topology session can observe its hops", { status: 400 });
    }
    const linked = this.topology === "gateway" ? params.route : params.route.slice(0, 1);
    const options = {
      ...(params.encrypt === undefined ? {} : { encrypt: params.encrypt }),
      ...(params.timeoutMs === undefined ? {} : { timeoutMs: params.timeoutMs }),
      ...(params.transport === undefined ? {} : { transport: params.transport }),
    };
    this.#links = linked.map((runner, hop) => new FrameLink({ runner, hop, ...options }));
    this.#last =
      this.topology === "forward" && params.route.length > 1
        ? new FrameLink({ runner: params.route.at(-1)!, hop: params.route.length - 1, ...options })
        : undefined;
    this.traffic = {
      frames: 0,
      bytesSent: linked.map(() => 0),
      bytesReceived: linked.map(() => 0),
      awaitBytesSent: 0,
    };
  }

  /** Positions the runners hold for this session. */
  get position(): number {
    return this.#position;
  }

  /**
   * Feeds prompt tokens and samples the first new token. With `chunk`, the prompt goes in chunks of that many
   * positions (only the last chunk samples). May be called again to extend the context before decoding.
   */
  async prefill(tokenIds: ArrayLike<number>, options: { chunk?: number } = {}): Promise<SampledToken> {
    const ids = Uint32Array.from(tokenIds);
    if (ids.length === 0) throw new RouteError("Prefill needs at least one token", { status: 400 });
    const chunk = options.chunk ?? ids.length;
    let sampled: SampledToken | undefined;
    for (let start = 0; start < ids.length; start += chunk) {
      const end = Math.min(ids.length, start + chunk);
      sampled = await this.#run("prefill", ids.subarray(start, end), end < ids.length);
    }
    return sampled!;
  }

  /** Feeds the last sampled token and samples the next. */
  async decode(tokenId: number): Promise<SampledToken> {
    return (await this.#run("decode", Uint32Array.of(tokenId), false))!;
  }

  /**
   * The route's signed receipts of this session, in shard order: each runner signs what it computed so far, linked
   * to the previous runner's receipt. `gateway`: each runner is asked in turn with the previous receipt; `forward`:
   * one receipt frame to the first runner, which each runner passes on with its own. A session whose route failed
   * may still be asked: the runners before the failure sign what they computed (the failed step included). The
   * session takes no more tokens after it; asking again gives the same answer.
   * @throws PartialReceiptsError when a runner cannot sign or pass the frame on: it carries the chain from shard 0
   * as far as it came back, and the runner's refusal as its cause.
   */
  receipts(): Promise<SignedReceipt[]> {
    if (this.#closed) return Promise.reject(new RouteError("This session was closed", { status: 400 }));
    this.#receipts ??= this.#collectReceipts();
    return this.#receipts;
  }

  async #collectReceipts(): Promise<SignedReceipt[]> {
    const ask = (previous: SignedReceipt | undefined): Frame => ({
      kind: "receipt",
      sessionId: this.sessionId,
      step: this.#step++,
      sentAt: Date.now(),
      positionStart: 0,
      positionCount: 0,
      payload: previous === undefined ? { type: "empty" } : { type: "receipts", receipts: [previous] },
    });
    const receipts: SignedReceipt[] = [];
    for (const [hop, link] of this.#links.entries()) {
      try {
        const { reply, bytesSent, bytesReceived } = await link.exchange(ask(receipts.at(-1)));
        this.traffic.bytesSent[hop]! += bytesSent;
        this.traffic.bytesReceived[hop]! += bytesReceived;
        if (reply.payload.type === "receipts") receipts.push(...reply.payload.receipts);
      } catch (error) {
        if (!(error instanceof PipelineError)) throw error;
        const { status, hop: failed, retryAfterSeconds } = error;
        throw new PartialReceiptsError([...receipts, ...error.receipts], this.#route.length, {
          status,
          cause: error,
          ...(failed === undefined ? {} : { hop: failed }),
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        });
      }
    }
    if (receipts.length < this.#route.length) {
      throw new PartialReceiptsError(receipts, this.#route.length, { status: 502 });
    }
    if (receipts.length > this.#route.length) {
      throw new RouteError(
        `The route answered ${receipts.length} receipts for its ${this.#route.length} runners`,
        { status: 502 },
      );
    }
    return receipts;
  }

  /** Asks every runner of the route to drop the session's KV cache. Best effort, never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const frame = this.#frame("drop", 0, { type: "empty" }, false);
    await Promise.allSettled(this.#links.map((link) => link.exchange({ ...frame, sentAt: Date.now() })));
  }

  async #run(kind: "prefill" | "decode", tokenIds: Uint32Array, skipSample: boolean): Promise<SampledToken> {
    if (this.#closed) throw new RouteError("This session was closed", { status: 400 });
    if (this.#receipts !== undefined) {
      throw new RouteError("This session's receipts were asked for: it takes no more tokens", {
        status: 400,
      });
    }
    if (this.#chainFailure !== undefined) throw this.#chainFailure;
    let payload: FramePayload = { type: "tokens", tokenIds };
    const frame = this.#frame(kind, tokenIds.length, payload, skipSample);
    if (this.#last !== undefined) {
      payload = await this.#forwardAndAwait(frame);
    } else {
      for (const [hop, link] of this.#links.entries()) {
        const sent = { ...frame, payload, sentAt: Date.now() };
        const { reply, bytesSent, bytesReceived } = await link.exchange(sent);
        this.traffic.bytesSent[hop]! += bytesSent;
        this.traffic.bytesReceived[hop]! += bytesReceived;
        this.#observe?.({ hop, frame: sent, output: reply.payload });
        payload = reply.payload;
      }
    }
    this.traffic.frames += 1;
    this.#position += tokenIds.length;
    if (payload.type === "sample") return { tokenId: payload.tokenId, logprob: payload.logprob };
    if (payload.type === "empty" && skipSample) return { tokenId: -1, logprob: 0 };
    throw new RouteError("The route's last runner did not return a sampled token", {
      status: 502,
      hint: "The route must end with the model's last shard.",
    });
  }

  /**
   * Sends the frame down the chain and an `await` for the same step to the last runner; the step's result is
   * whichever answer comes first with one. A failure along the chain is thrown now if it comes first, or by the
   * next step if it comes after the token. A refused `await` (e.g. a runner that predates them) leaves the
   * chain's answer to decide.
   */
  async #forwardAndAwait(frame: Frame): Promise<FramePayload> {
    const chain = this.#links[0]!.exchange({ ...frame, sentAt: Date.now() }).then((exchange) => {
      this.traffic.bytesSent[0]! += exchange.bytesSent;
      this.traffic.bytesReceived[0]! += exchange.bytesReceived;
      return exchange.reply.payload;
    });
    const direct = this.#last!.exchange({
      kind: "await",
      sessionId: frame.sessionId,
      step: frame.step,
      sentAt: Date.now(),
      positionStart: frame.positionStart,
      positionCount: frame.positionCount,
      payload: { type: "empty" },
    }).then((exchange) => {
      this.traffic.awaitBytesSent += exchange.bytesSent;
      return exchange.reply.payload;
    });
    type Outcome = { from: "chain" | "direct"; payload?: FramePayload; error?: unknown };
    const settle = (from: Outcome["from"], promise: Promise<FramePayload>) =>
      promise.then(
        (payload): Outcome => ({ from, payload }),
        (error: unknown): Outcome => ({ from, error }),
      );
    const chainOutcome = settle("chain", chain);
    const first = await Promise.race([settle("direct", direct), chainOutcome]);
    if (first.from === "direct" && first.payload !== undefined) {
      void chainOutcome.then(({ error }) => {
        if (error !== undefined && this.#chainFailure === undefined) this.#chainFailure = error;
      });
      return first.payload;
    }
    const outcome = first.from === "chain" ? first : await chainOutcome;
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.payload!;
  }

  #frame(kind: Frame["kind"], count: number, payload: FramePayload, skipSample: boolean): Frame {
    const step = this.#step++;
    const voucher = this.#voucher?.();
    const forward = this.topology === "forward";
    return {
      kind,
      sessionId: this.sessionId,
      step,
      sentAt: Date.now(),
      positionStart: this.#position,
      positionCount: count,
      payload,
      activationDtype: this.#activationDtype,
      ...(voucher === undefined ? {} : { voucher }),
      ...(kind === "prefill" && this.#position === 0 ? { sampling: this.#sampling } : {}),
      ...(kind === "prefill" && this.#position === 0 && this.#logprobs ? { logprobs: true } : {}),
      ...(skipSample ? { skipSample } : {}),
      ...(forward && kind !== "decode" ? { route: this.#route.slice(1).map(toHop) } : {}),
    };
  }
}

function toHop(runner: RouteRunner): RouteHop {
  return {
    runner: runner.runner,
    endpoint: runner.endpoint,
    publicKey: normalizePublicKey(runner.publicKey),
  };
}

/** Opens a session over a route; nothing is sent until the first prefill. */
export function createPipelineSession(params: CreatePipelineSessionParameters): PipelineSession {
  return new PipelineSession(params);
}
