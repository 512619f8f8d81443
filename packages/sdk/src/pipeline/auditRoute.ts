import type { Address, Hex } from "viem";
import {
  type AuditEvidence,
  activationError,
  DEFAULT_ACTIVATION_TOLERANCE,
  type EvidenceFrame,
  type EvidencePayload,
  hiddenEvidence,
} from "../receipts/auditEvidence.js";
import type { SignedReceipt } from "../receipts/receipt.js";
import type { Frame, FramePayload, WireSampling } from "../wire/frame.js";
import { RouteError } from "./errors.js";
import { FrameLink } from "./FrameLink.js";
import { createPipelineSession, type HopExchange } from "./PipelineSession.js";
import type { RouteRunner } from "./RouteVerifier.js";
import type { FrameTransport } from "./sendFrame.js";

export type AuditRouteParameters = {
  chainId: number;
  runnerRegistry: Hex;
  modelId: Hex;
  /** The route being audited, one runner per shard in shard order. */
  route: readonly RouteRunner[];
  /** For each shard, another runner of it to check against (`undefined`: that shard is not checked). */
  replicas: readonly (RouteRunner | undefined)[];
  /** The request to re-execute: its prompt, and the tokens that answered it (all but the last are fed back). */
  promptTokenIds: readonly number[];
  completionTokenIds: readonly number[];
  sampling?: Partial<WireSampling>;
  /** Prefill in chunks of this many positions (default: the whole prompt at once). */
  chunk?: number;
  tolerance?: number;
  encrypt?: boolean;
  transport?: FrameTransport;
  /**
   * Pays for the re-executions on paid runners (none: the runners serve free). Asked once for the audited route and
   * once per checked shard for the route with that shard's replica in place of its runner (the channel the replica's
   * voucher must name).
   */
  pay?: AuditPayer;
};

/** What one re-execution carries: the request ticket on each computing frame, the settle ticket on its drop. */
export type AuditPayment = {
  request: Uint8Array;
  settle: (usage: { inputTokens: number; outputTokens: number }) => Promise<Uint8Array>;
};

/** Opens the payment of one re-execution over `route` (one runner per shard) whose frames carry `sessionId`. */
export type AuditPayer = (route: readonly Address[], sessionId: Uint8Array) => Promise<AuditPayment>;

/** One shard's verdict: the replica agreed within the tolerance, or diverged (with the evidence). */
export type ShardAudit = {
  shardIndex: number;
  runner: Hex;
  replica: Hex | undefined;
  status: "agreed" | "diverged" | "skipped";
  /** The largest difference over the frames ({@link activationError}); 0 for a skipped shard. */
  error: number;
  evidence?: AuditEvidence;
};

export type AuditRouteReturnType = {
  /** The route's own re-execution gave the answer's tokens again. */
  reproduced: boolean;
  shards: ShardAudit[];
};

const GREEDY: WireSampling = { temperature: 0, topK: 0, topP: 1, seed: 0 };

/**
 * Spot-checks a route by re-execution. The request is run again on the audited route in gateway topology with fp32
 * activations, recording what each runner was sent and answered, and the route signs receipts over it. Then each
 * shard's replica gets exactly the inputs the audited runner got, frame by frame, in its own session, and signs its
 * own receipt; its outputs are compared with the audited runner's (tokens exactly on the last shard, activations
 * within `tolerance` elsewhere). A shard whose replica diverges yields an {@link AuditEvidence} that anyone rechecks
 * offline. Which of the two is wrong the shard's weights decide (`teetee audit check`), not this function: with one
 * replica a divergence says only that one of two runners of the shard is not running its weights.
 */
export async function auditRoute(params: AuditRouteParameters): Promise<AuditRouteReturnType> {
  const sampling = { ...GREEDY, ...params.sampling };
  const tolerance = params.tolerance ?? DEFAULT_ACTIVATION_TOLERANCE;
  const options = {
    ...(params.encrypt === undefined ? {} : { encrypt: params.encrypt }),
    ...(params.transport === undefined ? {} : { transport: params.transport }),
  };
  if (params.completionTokenIds.length === 0)
    throw new RouteError("Nothing to audit: the answer has no tokens");
  const exchanges: HopExchange[] = [];
  const sessionId = crypto.getRandomValues(new Uint8Array(16));
  const usage = { inputTokens: params.promptTokenIds.length, outputTokens: params.completionTokenIds.length };
  const payment = await params.pay?.(
    params.route.map((r) => r.runner),
    sessionId,
  );
  let voucher = payment?.request;
  const session = createPipelineSession({
    sessionId,
    voucher: () => voucher,
    route: params.route,
    topology: "gateway",
    activationDtype: "fp32",
    sampling,
    observe: (exchange) => exchanges.push(exchange),
    ...options,
  });
  const sampled: number[] = [];
  let receipts: SignedReceipt[];
  try {
    let token = await session.prefill(
      params.promptTokenIds,
      params.chunk === undefined ? {} : { chunk: params.chunk },
    );
    sampled.push(token.tokenId);
    for (const next of params.completionTokenIds.slice(0, -1)) {
      token = await session.decode(next);
      sampled.push(token.tokenId);
    }
    receipts = await session.receipts();
    if (payment !== undefined) voucher = await payment.settle(usage);
  } catch (error) {
    voucher = undefined;
    throw error;
  } finally {
    await session.close();
  }
  const reproduced =
    sampled.length === params.completionTokenIds.length &&
    sampled.every((t, i) => t === params.completionTokenIds[i]);
  const shards: ShardAudit[] = [];
  for (const [shardIndex, runner] of params.route.entries()) {
    const replica = params.replicas[shardIndex];
    const mine = exchanges.filter((e) => e.hop === shardIndex);
    if (replica === undefined) {
      shards.push({ shardIndex, runner: runner.runner, replica: undefined, status: "skipped", error: 0 });
      continue;
    }
    const replicaRoute = params.route.map((r, i) => (i === shardIndex ? replica.runner : r.runner));
    const { frames, receipt } = await replay(replica, session.sessionId, mine, receipts[shardIndex - 1], {
      ...options,
      payment: await params.pay?.(replicaRoute, session.sessionId),
      usage,
    });
    const error = Math.max(...frames.map((f) => activationError(f.audited, f.replica)));
    const diverged = !(error <= tolerance);
    shards.push({
      shardIndex,
      runner: runner.runner,
      replica: replica.runner,
      status: diverged ? "diverged" : "agreed",
      error,
      ...(diverged
        ? {
            evidence: {
              version: 1 as const,
              chainId: params.chainId,
              runnerRegistry: params.runnerRegistry,
              modelId: params.modelId,
              shardIndex,
              sampling,
              tolerance,
              frames,
              audited: receipts[shardIndex]!,
              replica: receipt,
            },
          }
        : {}),
    });
  }
  return { reproduced, shards };
}

/**
 * Sends the replica the audited runner's inputs, frame by frame, and asks for its receipt. The replica's session
 * takes the audited session's id (the replica never saw it), so its receipt links to the same previous receipt and
 * the two receipts differ only where the runners did.
 */
async function replay(
  replica: RouteRunner,
  sessionId: Uint8Array,
  audited: readonly HopExchange[],
  previous: SignedReceipt | undefined,
  options: {
    encrypt?: boolean;
    transport?: FrameTransport;
    payment?: AuditPayment | undefined;
    usage: { inputTokens: number; outputTokens: number };
  },
): Promise<{ frames: EvidenceFrame[]; receipt: SignedReceipt }> {
  const { payment, usage, ...linkOptions } = options;
  const link = new FrameLink({ runner: replica, ...linkOptions });
  let step = 0;
  const frames: EvidenceFrame[] = [];
  // The audited frames carry the audited route's voucher, which names another runner: the replica gets its own.
  let voucher: Uint8Array | undefined = payment?.request;
  try {
    for (const { frame, output } of audited) {
      const { voucher: _audited, ...inputs } = frame;
      const sent: Frame = {
        ...inputs,
        sessionId,
        step: step++,
        sentAt: Date.now(),
        ...(voucher === undefined ? {} : { voucher }),
      };
      const { reply } = await link.exchange(sent);
      frames.push({
        kind: frame.kind as "prefill" | "decode",
        positionStart: frame.positionStart,
        positionCount: frame.positionCount,
        skipSample: frame.skipSample === true,
        input: evidence(frame.payload),
        audited: evidence(output),
        replica: evidence(reply.payload),
      });
    }
    const { reply } = await link.exchange({
      kind: "receipt",
      sessionId,
      step: step++,
      sentAt: Date.now(),
      positionStart: 0,
      positionCount: 0,
      payload: previous === undefined ? { type: "empty" } : { type: "receipts", receipts: [previous] },
    });
    if (reply.payload.type !== "receipts" || reply.payload.receipts[0] === undefined) {
      throw new RouteError(`Replica ${replica.runner} answered no receipt`, { status: 502 });
    }
    voucher = payment === undefined ? undefined : await payment.settle(usage);
    return { frames, receipt: reply.payload.receipts[0] };
  } catch (error) {
    voucher = undefined;
    throw error;
  } finally {
    await link
      .exchange({
        kind: "drop",
        sessionId,
        step: step++,
        sentAt: Date.now(),
        positionStart: 0,
        positionCount: 0,
        payload: { type: "empty" },
        ...(voucher === undefined ? {} : { voucher }),
      })
      .catch(() => undefined);
  }
}

function evidence(payload: FramePayload): EvidencePayload {
  switch (payload.type) {
    case "tokens":
      return { type: "tokens", tokenIds: [...payload.tokenIds] };
    case "hidden":
      // The audit asks for fp32 activations, so what is compared is what was computed, not its fp16 rounding.
      if (payload.dtype !== "fp32")
        throw new RouteError("The audited runner answered fp16 activations", { status: 502 });
      return hiddenEvidence(payload.data, payload.shape[1] ?? payload.data.length);
    case "sample":
      return { type: "sample", tokenId: payload.tokenId };
    default:
      return { type: "empty" };
  }
}

/**
 * Which requests to audit: each with probability `rate`, independently. A runner that serves a share `q` of a
 * shard's requests and cheats on all of them is first audited after `1 / (rate · q)` requests on average, and escapes
 * `n` requests with probability `(1 − rate · q)^n` ({@link requestsToCatch}).
 */
export class AuditSampler {
  readonly rate: number;
  readonly #random: () => number;

  constructor({ rate, random = Math.random }: { rate: number; random?: () => number }) {
    if (!(rate >= 0 && rate <= 1)) throw new RouteError(`An audit rate is a fraction in [0, 1], got ${rate}`);
    this.rate = rate;
    this.#random = random;
  }

  shouldAudit(): boolean {
    return this.#random() < this.rate;
  }
}

/**
 * The number of requests within which a cheater serving a share `share` of requests is audited at least once with
 * probability `1 − escapeChance`, at audit rate `rate`: the smallest n with (1 − rate · share)^n ≤ escapeChance.
 */
export function requestsToCatch({
  rate,
  share,
  escapeChance,
}: {
  rate: number;
  share: number;
  escapeChance: number;
}): number {
  const p = rate * share;
  if (p <= 0) return Number.POSITIVE_INFINITY;
  if (p >= 1) return 1;
  return Math.ceil(Math.log(escapeChance) / Math.log(1 - p));
}
