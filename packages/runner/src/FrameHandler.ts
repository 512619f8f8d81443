import { type ForwardReturnType, Sampler, type ShardSession } from "@teetee/inference";
import { float32ToFloat16Array } from "@teetee/inference/float16";
import { type FrameExchange, FrameLink, PipelineError, type RouteVerifier } from "@teetee/sdk/pipeline";
import type { SignedReceipt } from "@teetee/sdk/receipts";
import type { DecodedFrame, Frame, FramePayload, RouteHop } from "@teetee/sdk/wire";
import { type Address, bytesToHex, type Hex } from "viem";
import type { BatchScheduler } from "./BatchScheduler.js";
import { FrameRequestError, RunnerError, SessionOrderError, UnknownSessionError } from "./errors.js";
import type { RunnerMetrics } from "./metrics.js";
import type { PaymentHook } from "./PaymentHook.js";
import type { ResultMailbox } from "./ResultMailbox.js";
import { type ReceiptSigner, SessionReceipt } from "./SessionReceipt.js";
import type { RunnerSession, SessionStore } from "./SessionStore.js";

export type FrameHandlerParameters = {
  shard: ShardSession;
  /** Batches this shard's steps with other sessions' (one batch at a time). */
  scheduler: BatchScheduler;
  store: SessionStore;
  runner: Address;
  modelId: Hex;
  /** Checks each next runner before a session's activations are sealed to it. */
  verifier: RouteVerifier;
  payment: PaymentHook;
  metrics: RunnerMetrics;
  /** Timeout of a forwarded frame. */
  nextHopTimeoutMs?: number;
  /** Results the last shard keeps for senders that `await` them. */
  mailbox: ResultMailbox;
  /** The attested runner key and the deployment it signs session receipts for. */
  receiptSigner: ReceiptSigner;
};

/** How a frame arrived; a forwarded frame goes on the same way (sealed, or plain in benchmarks). */
export type Arrival = { encrypted: boolean };

/**
 * Serves opened frames: checks them against the session and the shard, runs the shard, and either answers
 * the sender (activations, or the sampled token on the last shard) or forwards the activations to the next
 * runner of the route (after verifying its attestation) and relays its answer. Each session's inputs and outputs
 * are hashed as they pass, for the receipt a `receipt` frame asks it to sign. Throws {@link RunnerError}s
 * and SDK errors that carry an HTTP status.
 */
export class FrameHandler {
  readonly #p: FrameHandlerParameters;
  readonly #shardIndex: number;
  readonly #hiddenSize: number;

  constructor(params: FrameHandlerParameters) {
    this.#p = params;
    this.#shardIndex = params.shard.shard.index;
    this.#hiddenSize = params.shard.manifest.config.hiddenSize;
  }

  async handle(frame: DecodedFrame, arrival: Arrival): Promise<Frame> {
    // An await computes nothing and carries no voucher: the frames that compute its step pay for it.
    if (frame.kind === "await") return this.#await(frame);
    // Nor does a receipt: the session's frames paid for what it commits to.
    if (frame.kind === "receipt") return this.#receipt(frame);
    const { payment, runner, modelId } = this.#p;
    await payment.authorize({
      runner,
      modelId,
      shardIndex: this.#shardIndex,
      kind: frame.kind,
      sessionId: frame.sessionId,
      positionStart: frame.positionStart,
      positionCount: frame.positionCount,
      voucher: frame.voucher,
    });
    if (frame.kind === "drop") return this.#drop(frame, arrival);
    if (frame.kind !== "prefill" && frame.kind !== "decode") {
      throw new FrameRequestError(`A runner does not accept ${frame.kind} frames`);
    }
    return this.#forward(frame, frame.kind, arrival);
  }

  async #drop(frame: DecodedFrame, arrival: Arrival): Promise<Frame> {
    const key = sessionKey(frame.sessionId);
    const session = this.#p.store.drop(key);
    this.#p.mailbox.forget(key, new UnknownSessionError());
    const next =
      session?.next ?? (frame.route[0] === undefined ? undefined : this.#link(frame.route[0], arrival));
    if (next !== undefined) {
      await next
        .exchange({ ...frame, sentAt: Date.now(), route: (session?.route ?? frame.route).slice(1) })
        .catch(() => undefined);
    }
    return result(frame, { type: "empty" }, 0);
  }

  async #forward(frame: DecodedFrame, kind: "prefill" | "decode", arrival: Arrival): Promise<Frame> {
    const { store, shard, mailbox } = this.#p;
    const key = sessionKey(frame.sessionId);
    let session: RunnerSession;
    let computed: { reply: Frame } | { hidden: FramePayload };
    try {
      const input = this.#input(frame);
      if (shard.isLast && frame.route.length > 0) {
        throw new FrameRequestError("The last shard has no next runner, but the frame carries a route");
      }
      if (store.get(key)?.receipt?.signed === true) {
        throw new SessionOrderError("This session's receipt is signed: it takes no more frames", {
          hint: "Start a new session to continue generating.",
        });
      }
      if (store.get(key)?.retired === true) {
        throw new SessionOrderError("This session lost its next runner: it takes no more frames", {
          hint: "Replay the context on a new session; its receipt can still be asked for.",
        });
      }
      session = store.acquire(key, kind, frame.positionStart, frame.positionCount, Date.now());
      try {
        computed = await this.#compute(frame, kind, session, input, arrival);
      } finally {
        store.release(session, Date.now());
      }
    } catch (error) {
      if (shard.isLast) mailbox.fail(key, frame.step, error as Error);
      throw error;
    }
    if ("reply" in computed) {
      if (shard.isLast) {
        const { payload, positionCount } = computed.reply;
        mailbox.post(key, { step: frame.step, payload, positionCount });
      }
      return computed.reply;
    }
    // The session is free again before the next runner answers: its sender may already hold this step's token,
    // straight from the route's last runner, and send the next step.
    return await this.#relay(frame, session, computed.hidden);
  }

  /** Runs the shard on the frame's input: the reply to send back, or the activations to forward. */
  async #compute(
    frame: DecodedFrame,
    kind: "prefill" | "decode",
    session: RunnerSession,
    input: ShardInput,
    arrival: Arrival,
  ): Promise<{ reply: Frame } | { hidden: FramePayload }> {
    const { metrics } = this.#p;
    const count = frame.positionCount;
    const receipt = this.#sessionReceipt(frame, session);
    if (frame.route.length > 0) await this.#setRoute(session, frame.route, arrival);
    const started = performance.now();
    const out = await this.#step(session, kind, input, count);
    metrics.compute.observe({ kind }, (performance.now() - started) / 1000);
    metrics.positions.inc({ kind }, count);
    session.position = out.cachedLength;
    const { positionStart, skipSample } = frame;
    if ("inputIds" in input) receipt.inputTokens(positionStart, input.inputIds);
    else receipt.inputRows(positionStart, input.hiddenStates, this.#hiddenSize);
    receipt.frame({ positionStart, positionCount: count, ...(skipSample === true ? { skipSample } : {}) });
    if (out.logits !== undefined) {
      const reply = this.#sample(frame, session, out.logits);
      if (reply.payload.type === "sample") receipt.outputToken(session.position, reply.payload.tokenId);
      return { reply };
    }
    const hidden = activations(out.hiddenStates!, count, this.#hiddenSize, receipt.activationDtype!);
    receipt.outputRows(positionStart, hidden.data, this.#hiddenSize);
    return session.next === undefined ? { reply: result(frame, hidden, count) } : { hidden };
  }

  /**
   * The frame's step, computed in a batch with other sessions' steps. A chunked prefill that failed after some
   * chunks leaves the cache ahead of the session: the session is dropped (on release) rather than left inconsistent.
   */
  async #step(
    session: RunnerSession,
    kind: "prefill" | "decode",
    input: ShardInput,
    count: number,
  ): Promise<ForwardReturnType> {
    try {
      return await this.#p.scheduler.submit({ sessionId: session.key, kind, input, count });
    } catch (error) {
      if (this.#p.shard.cachedLength(session.key) !== session.position) session.position = 0;
      throw error;
    }
  }

  /** The session's sampler and receipt, made by its first frame; later frames must keep its activation dtype. */
  #sessionReceipt(frame: DecodedFrame, session: RunnerSession): SessionReceipt {
    const dtype = this.#p.shard.isLast ? undefined : (frame.activationDtype ?? "fp32");
    if (session.position === 0) {
      session.sampler = new Sampler(frame.sampling ?? {});
      session.logprobs = frame.logprobs === true;
      session.receipt = new SessionReceipt({
        sampling: session.sampler.params,
        logprobs: session.logprobs,
        activationDtype: dtype,
      });
    }
    const receipt = session.receipt!;
    if (receipt.activationDtype !== dtype) {
      throw new FrameRequestError(
        `This session sends activations as ${receipt.activationDtype}, not ${dtype}: its receipt covers one dtype`,
      );
    }
    return receipt;
  }

  /**
   * Signs this runner's receipt of a session (once; asking again gives the same one) linked to the previous
   * runner's, and answers it with the receipts of the rest of the route when this runner forwards. The link is not
   * judged here: a previous receipt whose output differs from this runner's input still gets this runner's honest
   * receipt, and the verifier flags the break. When the next runner fails the frame, the error this runner answers
   * still carries its own receipt and any the runners after it sent back, so the sender keeps the partial chain.
   */
  async #receipt(frame: DecodedFrame): Promise<Frame> {
    const session = this.#p.store.get(sessionKey(frame.sessionId));
    if (session?.receipt === undefined) throw new UnknownSessionError();
    if (session.busy)
      throw new SessionOrderError("This session has a frame in flight: ask for its receipt after it");
    const previous = this.#previousReceipt(frame);
    const own = await session.receipt.sign(this.#p.receiptSigner, {
      modelId: this.#p.modelId,
      shardIndex: this.#shardIndex,
      sessionId: bytesToHex(frame.sessionId),
      previous,
    });
    session.lastUsed = Date.now();
    if (session.next === undefined) return result(frame, { type: "receipts", receipts: [own] }, 0);
    const { reply } = await this.#nextHop(
      session,
      () =>
        session.next!.exchange({
          ...frame,
          sentAt: Date.now(),
          route: [],
          payload: { type: "receipts", receipts: [own] },
        }),
      [own],
    );
    if (reply.payload.type !== "receipts") {
      throw new RunnerError(`Runner ${session.route[0]!.runner} answered a receipt frame without receipts`, {
        status: 502,
        receipts: [own],
      });
    }
    return result(frame, { type: "receipts", receipts: [own, ...reply.payload.receipts] }, 0);
  }

  /** The previous runner's receipt a receipt frame carries: none to shard 0, one of this session's shard before. */
  #previousReceipt(frame: DecodedFrame): SignedReceipt | undefined {
    const previous = frame.payload.type === "receipts" ? frame.payload.receipts[0] : undefined;
    if (this.#shardIndex === 0) {
      if (previous !== undefined)
        throw new FrameRequestError("Shard 0 has no previous runner's receipt to link");
      return undefined;
    }
    if (previous === undefined) {
      throw new FrameRequestError(
        `Shard ${this.#shardIndex} links its receipt to shard ${this.#shardIndex - 1}'s`,
        {
          hint: "Send the previous runner's signed receipt in the receipt frame.",
        },
      );
    }
    const { receipt } = previous;
    if (
      receipt.shardIndex !== this.#shardIndex - 1 ||
      receipt.sessionId.toLowerCase() !== bytesToHex(frame.sessionId) ||
      receipt.modelId.toLowerCase() !== this.#p.modelId.toLowerCase()
    ) {
      throw new FrameRequestError(
        "The previous receipt is not this session's on this model's previous shard",
        {
          details: `shard ${receipt.shardIndex}, session ${receipt.sessionId}, model ${receipt.modelId}`,
        },
      );
    }
    return previous;
  }

  /** An `await` from the sender of a forwarded step: answered with that step's result once it is computed here. */
  async #await(frame: DecodedFrame): Promise<Frame> {
    if (!this.#p.shard.isLast) {
      throw new FrameRequestError("Only a route's last runner answers await frames", {
        hint: "Send await frames to the runner of the model's last shard.",
      });
    }
    const { payload, positionCount } = await this.#p.mailbox.wait(sessionKey(frame.sessionId), frame.step);
    this.#p.metrics.directResults.inc();
    return result(frame, payload, positionCount);
  }

  #input(frame: DecodedFrame): ShardInput {
    const { payload, positionCount } = frame;
    if (positionCount === 0) throw new FrameRequestError("A frame must carry at least one position");
    if (this.#p.shard.isFirst) {
      if (payload.type !== "tokens") throw new FrameRequestError("Shard 0 takes token ids, not activations");
      return { inputIds: payload.tokenIds };
    }
    if (payload.type !== "hidden")
      throw new FrameRequestError(`Shard ${this.#shardIndex} takes activations, not token ids`);
    const [positions, width, ...rest] = payload.shape;
    if (positions !== positionCount || width !== this.#hiddenSize || rest.length > 0) {
      throw new FrameRequestError(`Activations must have shape [${positionCount}, ${this.#hiddenSize}]`, {
        details: `got [${payload.shape.join(", ")}]`,
      });
    }
    return { hiddenStates: payload.data };
  }

  async #setRoute(session: RunnerSession, route: readonly RouteHop[], arrival: Arrival): Promise<void> {
    const hop = route[0]!;
    const current = session.route[0];
    if (
      current !== undefined &&
      session.next !== undefined &&
      current.runner === hop.runner &&
      current.publicKey === hop.publicKey &&
      current.endpoint === hop.endpoint
    ) {
      session.route = route;
      return;
    }
    await this.#p.verifier.verify(hop, { modelId: this.#p.modelId, shardIndex: this.#shardIndex + 1 });
    session.route = route;
    session.next = this.#link(hop, arrival);
  }

  #link(hop: RouteHop, arrival: Arrival): FrameLink {
    return new FrameLink({
      runner: hop,
      encrypt: arrival.encrypted,
      ...(this.#p.nextHopTimeoutMs === undefined ? {} : { timeoutMs: this.#p.nextHopTimeoutMs }),
    });
  }

  #sample(frame: DecodedFrame, session: RunnerSession, logits: Float32Array): Frame {
    if (frame.skipSample === true) return result(frame, { type: "empty" }, 0);
    // The position is the session's, so a replayed context samples what the original route would have.
    const tokenId = session.sampler!.sample(logits, session.position);
    this.#p.metrics.tokens.inc();
    const logprob = session.logprobs ? logProbability(logits, tokenId) : Number.NaN;
    return result(frame, { type: "sample", tokenId, logprob }, 0);
  }

  async #relay(frame: DecodedFrame, session: RunnerSession, hidden: FramePayload): Promise<Frame> {
    try {
      const { reply } = await this.#nextHop(session, () =>
        session.next!.exchange({
          ...frame,
          sentAt: Date.now(),
          route: session.route.slice(1),
          payload: hidden,
        }),
      );
      return result(frame, reply.payload, reply.positionCount);
    } catch (error) {
      // This runner's cache advanced but the next one's did not: the session cannot continue consistently. Its
      // record stays, so the sender can still ask for the receipt of what this runner computed.
      this.#p.store.retire(session);
      throw error;
    }
  }

  /**
   * One exchange with the session's next runner, timed and counted; its refusal names that runner and carries the
   * receipts this runner `held` followed by those the next runner's refusal came with.
   */
  async #nextHop(
    session: RunnerSession,
    exchange: () => Promise<FrameExchange>,
    held: readonly SignedReceipt[] = [],
  ): Promise<FrameExchange> {
    const { metrics } = this.#p;
    const started = performance.now();
    try {
      const exchanged = await exchange();
      metrics.forwardedBytes.inc(exchanged.bytesSent);
      return exchanged;
    } catch (error) {
      if (!(error instanceof PipelineError)) throw error;
      const hop = session.route[0]!;
      throw new RunnerError(
        `Runner ${hop.runner} (shard ${this.#shardIndex + 1}) refused: ${error.shortMessage}`,
        {
          status: error.status,
          cause: error,
          receipts: [...held, ...error.receipts],
          // A full runner further on says when to retry; the sender hears it too.
          ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        },
      );
    } finally {
      metrics.nextHop.observe((performance.now() - started) / 1000);
    }
  }
}

type ShardInput = { inputIds: Uint32Array } | { hiddenStates: Float32Array | Uint16Array };

export function sessionKey(sessionId: Uint8Array): string {
  return Buffer.from(sessionId).toString("hex");
}

function result(request: DecodedFrame, payload: FramePayload, positionCount: number): Frame {
  return {
    kind: "result",
    sessionId: request.sessionId,
    step: request.step,
    sentAt: Date.now(),
    positionStart: request.positionStart,
    positionCount,
    payload,
  };
}

function activations(
  hidden: Float32Array,
  count: number,
  width: number,
  dtype: "fp16" | "fp32",
): Extract<FramePayload, { type: "hidden" }> {
  return dtype === "fp16"
    ? { type: "hidden", dtype, shape: [count, width], data: float32ToFloat16Array(hidden) }
    : { type: "hidden", dtype, shape: [count, width], data: hidden };
}

/** log p(token) under the model's distribution (temperature 1), for the caller's logprobs. */
function logProbability(logits: Float32Array, tokenId: number): number {
  // Indexed loops: iterating a typed array with for-of costs several times more on a 100k-entry vocabulary.
  const n = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i]! - max);
  return logits[tokenId]! - max - Math.log(sum);
}
