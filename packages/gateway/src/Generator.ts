import { describe } from "@teetee/errors";
import {
  type ApiKey,
  costOfCounts,
  encodePaymentTicket,
  type ModelPrices,
  requestIdOf,
} from "@teetee/sdk/payments";
import {
  createPipelineSession,
  PipelineError,
  type PipelineTopology,
  RunnerRefusedError,
  RunnerUnreachableError,
} from "@teetee/sdk/pipeline";
import type { SignedReceipt } from "@teetee/sdk/receipts";
import type { WireSampling } from "@teetee/sdk/wire";
import { type Address, bytesToHex, type Hex } from "viem";
import { NoCapacityError, type PartialRouteReceipts } from "./errors.js";
import type { PaymentSessionPool } from "./PaymentSessionPool.js";
import type { RunnerPool, RunnerState } from "./RunnerPool.js";

export type GenerateParameters = {
  apiKey: ApiKey;
  free: boolean;
  modelId: Hex;
  shardCount: number;
  prices: ModelPrices;
  promptIds: readonly number[];
  maxTokens: number;
  sampling: WireSampling;
  stopTokenIds: readonly number[];
  /** Each new token as it is sampled; return true to stop here (a stop string completed). */
  onToken?: (tokenId: number) => boolean | undefined;
  /** Each route as it is chosen, before anything is sent on it. */
  onRoute?: (route: readonly RunnerState[]) => void;
  signal?: AbortSignal;
};

/** One route a request ran on, and why it was left if it was. */
export type RouteAttempt = {
  route: RunnerState[];
  error?: string;
  failed?: Address[];
  /** Runners that answered 503 (full): skipped until their Retry-After, not taken for failed. */
  busy?: Address[];
};

/**
 * The final route's signed receipts of a request, or why there are none: `sessionId` is its frames' session and
 * `replayedTokens` the completion tokens it was fed as context after a failover (0 without one).
 */
export type RouteReceipts = { sessionId: Hex; replayedTokens: number } & (
  | { receipts: SignedReceipt[] }
  | { error: string }
);

export type GenerateResult = {
  tokens: number[];
  finishReason: "stop" | "length";
  promptTokens: number;
  /** What the buyer was charged for this request (0 for contributors). */
  cost: bigint;
  /** The payment channel that carried it, and its cumulative voucher after it. */
  payment: { channelId: Hex; sessionId: Hex; voucherAmount: bigint; free: boolean };
  /** Every route tried, the last one completed the request. */
  attempts: RouteAttempt[];
  /** What the route that completed the request signed for it. */
  receipts: RouteReceipts;
};

/** Opens a generation's session across a route (the SDK's `createPipelineSession`; a seam for unit tests). */
export type CreatePipeline = (
  params: Parameters<typeof createPipelineSession>[0],
) => Pick<ReturnType<typeof createPipelineSession>, "prefill" | "decode" | "receipts" | "close">;

export type GeneratorParameters = {
  pool: RunnerPool;
  payments: PaymentSessionPool;
  createPipeline?: CreatePipeline;
  /**
   * Whether the buyer's allocation to a route covers `maxCost` (what its runners check before they serve). When
   * given, a paid request takes the best route it holds true for, and a buyer with none gets 402 at once.
   */
  funded?: (buyer: Address, modelId: Hex, route: readonly Address[], maxCost: bigint) => Promise<boolean>;
  topology?: PipelineTopology;
  /** Per-frame timeout, ms. Default 30 000. */
  timeoutMs?: number;
  /** Routes tried after the first fails. Default 3. */
  maxFailovers?: number;
  onFailover?: (attempt: RouteAttempt) => void;
};

/**
 * Runs one generation over attested runners, failing over mid-stream: when a runner fails or times out, the
 * failed runners are taken out of rotation, a new route is chosen (replicas for the failed shards), the context
 * (prompt and every token so far) is replayed as a prefill and generation continues where it stopped; tokens
 * already delivered are not delivered again. The buyer pays once: the request is charged only on the route that
 * completes it, with the replayed tokens declared so runners price them as output, not as prompt; runners of an
 * abandoned route get a drop without a voucher (their one request of credit).
 */
export class Generator {
  readonly #p: Required<Omit<GeneratorParameters, "onFailover" | "funded">> &
    Pick<GeneratorParameters, "onFailover" | "funded">;

  constructor(parameters: GeneratorParameters) {
    this.#p = {
      topology: "forward",
      timeoutMs: 30_000,
      maxFailovers: 3,
      createPipeline: createPipelineSession,
      ...parameters,
    };
  }

  async generate(parameters: GenerateParameters): Promise<GenerateResult> {
    const tokens: number[] = [];
    const attempts: RouteAttempt[] = [];
    const exclude = new Set<Address>();
    let partial: Promise<PartialRouteReceipts> | undefined;
    for (let attempt = 0; attempt <= this.#p.maxFailovers; attempt++) {
      parameters.signal?.throwIfAborted();
      // Taken and counted in one step, so requests choosing at once spread over the replicas.
      const { route, release } = await this.#p.pool.takeRoute(
        parameters.modelId,
        parameters.shardCount,
        exclude,
        this.#fundedRoute(parameters, tokens.length),
      );
      const record: RouteAttempt = { route };
      attempts.push(record);
      parameters.onRoute?.(route);
      const outcome = await this.#runOnRoute(parameters, route, tokens).finally(release);
      if (outcome.done)
        return { ...outcome.result, tokens, attempts, promptTokens: parameters.promptIds.length };
      record.error = outcome.error;
      record.failed = outcome.failed;
      partial = outcome.partial;
      if (outcome.busy !== undefined) record.busy = outcome.busy;
      for (const runner of outcome.failed) exclude.add(runner);
      this.#p.onFailover?.(record);
    }
    const receipts = await partial;
    throw new NoCapacityError(`The request failed on ${attempts.length} routes.`, {
      details: attempts.map((a) => a.error).join("; "),
      ...(receipts === undefined || receipts.receipts.length === 0 ? {} : { receipts }),
    });
  }

  async #runOnRoute(
    parameters: GenerateParameters,
    route: RunnerState[],
    tokens: number[],
  ): Promise<
    | { done: true; result: Omit<GenerateResult, "tokens" | "attempts" | "promptTokens"> }
    | {
        done: false;
        error: string;
        failed: Address[];
        busy?: Address[];
        /** What the failed route still signed, asked for in the background while the request moves on. */
        partial: Promise<PartialRouteReceipts>;
      }
  > {
    const { apiKey, free, modelId, prices, promptIds } = parameters;
    const { pool, payments } = this.#p;
    const session = payments.lease(
      apiKey,
      modelId,
      route.map((r) => r.runner),
      prices,
    );
    const sessionId = crypto.getRandomValues(new Uint8Array(16));
    const requestId = requestIdOf(sessionId);
    const replayed = tokens.length;
    const opening = await session.requestTicket({
      requestId,
      maxOutputTokens: parameters.maxTokens,
      replayedOutputTokens: replayed,
    });
    let voucher: Uint8Array | undefined = encodePaymentTicket(opening);
    const pipeline = this.#p.createPipeline({
      route: route.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey })),
      topology: this.#p.topology,
      sampling: parameters.sampling,
      sessionId,
      timeoutMs: this.#p.timeoutMs,
      voucher: () => voucher,
    });
    try {
      let started = performance.now();
      let next = await pipeline.prefill([...promptIds, ...tokens]);
      let finishReason: "stop" | "length";
      for (;;) {
        const elapsed = performance.now() - started;
        for (const r of route) pool.observeLatency(r.runner, elapsed / route.length);
        tokens.push(next.tokenId);
        const stopped =
          parameters.onToken?.(next.tokenId) === true || parameters.stopTokenIds.includes(next.tokenId);
        if (stopped) {
          finishReason = "stop";
          break;
        }
        if (tokens.length >= parameters.maxTokens) {
          finishReason = "length";
          break;
        }
        parameters.signal?.throwIfAborted();
        started = performance.now();
        next = await pipeline.decode(next.tokenId);
      }
      const receipts = await routeReceipts(pipeline, sessionId, replayed);
      const usage = {
        inputTokens: BigInt(promptIds.length),
        outputTokens: BigInt(tokens.length),
        replayedOutputTokens: BigInt(replayed),
      };
      const cost = free ? 0n : session.costOf(usage);
      const settle = free
        ? { ...opening, kind: "settle" as const }
        : await session.complete(requestId, usage);
      voucher = encodePaymentTicket(settle);
      await pipeline.close();
      return {
        done: true,
        result: {
          finishReason,
          receipts,
          cost,
          payment: {
            channelId: session.channelId,
            sessionId: session.sessionId,
            voucherAmount: session.amount,
            free,
          },
        },
      };
    } catch (error) {
      voucher = undefined;
      if (parameters.signal?.aborted && !free && tokens.length > replayed) {
        // The caller went away between tokens: what was generated was served, and is paid for.
        const usage = {
          inputTokens: BigInt(promptIds.length),
          outputTokens: BigInt(tokens.length),
          replayedOutputTokens: BigInt(replayed),
        };
        voucher = encodePaymentTicket(await session.complete(requestId, usage));
      }
      if (parameters.signal?.aborted || !isRetryable(error)) {
        void pipeline.close();
        throw error;
      }
      // Asked before the drop: the runners before the failure still hold the session their receipts cover.
      const partial = partialReceipts(pipeline, sessionId, replayed);
      void partial.finally(() => pipeline.close());
      const full = this.#fullRunner(route, error);
      if (full !== undefined) {
        // Busy, not failed: the pool skips it until its Retry-After, and the request moves to a replica.
        this.#p.pool.markBusy(full, (error as { retryAfterSeconds?: number }).retryAfterSeconds);
        return {
          done: false,
          error: describe(error, { foreign: false }),
          failed: [],
          busy: [full],
          partial,
        };
      }
      const failed = await this.#failedRunners(route, error);
      // Buyers see it in the answer's failovers: our sentences only, never another library's text.
      return { done: false, error: describe(error, { foreign: false }), failed, partial };
    } finally {
      // Only a channel whose last request ended with a settle voucher is used again. Its runners measured an
      // abandoned request's tokens but got no voucher for them: a runner that saw the channel's next request
      // before the abandoned one's drop would take it as completed and refuse the next voucher as short of it.
      if (voucher !== undefined) payments.release(apiKey, session);
    }
  }

  /** The route test for a paid request: the buyer's allocation covers the most the request can cost there. */
  #fundedRoute(
    parameters: GenerateParameters,
    replayed: number,
  ): ((route: readonly Address[]) => Promise<boolean>) | undefined {
    const { funded } = this.#p;
    if (funded === undefined || parameters.free) return undefined;
    const maxCost =
      costOfCounts(
        {
          inputTokens: BigInt(parameters.promptIds.length + replayed),
          outputTokens: BigInt(parameters.maxTokens),
        },
        parameters.prices,
      ) + 1n;
    return (route) => funded(parameters.apiKey.buyer, parameters.modelId, route, maxCost);
  }

  /**
   * The runner that refused the request as full (503), if that is why the route failed: the hop that answered,
   * or the first runner when the hop is not known (the one the gateway talks to).
   */
  #fullRunner(route: RunnerState[], error: unknown): Address | undefined {
    if (!(error instanceof RunnerRefusedError) || error.status !== 503) return undefined;
    return route[error.hop ?? 0]?.runner;
  }

  /** The runners to blame: the hop that failed when known, otherwise those failing a health check now. */
  async #failedRunners(route: RunnerState[], error: unknown): Promise<Address[]> {
    const hop = error instanceof PipelineError ? error.hop : undefined;
    const named = hop === undefined || this.#p.topology === "forward" ? undefined : route[hop];
    if (named !== undefined) {
      this.#p.pool.markDown(named.runner);
      return [named.runner];
    }
    const health = await Promise.all(route.map((r) => this.#p.pool.checkHealth(r.runner)));
    return route.filter((_, i) => !health[i]).map((r) => r.runner);
  }
}

/**
 * Asks the route for its receipts of a completed request. A route that cannot sign does not fail the answer it
 * already computed: the request completes, and the result says why its receipts are missing.
 */
async function routeReceipts(
  pipeline: Pick<ReturnType<CreatePipeline>, "receipts">,
  sessionId: Uint8Array,
  replayedTokens: number,
): Promise<RouteReceipts> {
  const session = { sessionId: bytesToHex(sessionId), replayedTokens };
  try {
    return { ...session, receipts: await pipeline.receipts() };
  } catch (error) {
    return { ...session, error: describe(error, { foreign: false }) };
  }
}

/** The receipts a failed route's runners still sign: the partial chain a refusal came back with. Never throws. */
async function partialReceipts(
  pipeline: Pick<ReturnType<CreatePipeline>, "receipts">,
  sessionId: Uint8Array,
  replayedTokens: number,
): Promise<PartialRouteReceipts> {
  const receipts = await pipeline
    .receipts()
    .catch((error: unknown) => (error instanceof PipelineError ? [...error.receipts] : []));
  return { sessionId: bytesToHex(sessionId), replayedTokens, receipts };
}

/**
 * Failures another route may not have: unreachable or failing runners, full ones, lost sessions. A 429 is not
 * one: it says this buyer has too many requests at once, which another route would only turn into more refusals
 * (and more unsettled requests on the runners before the one that refused); the caller gets it with Retry-After.
 */
function isRetryable(error: unknown): boolean {
  if (error instanceof RunnerUnreachableError) return true;
  if (error instanceof RunnerRefusedError) return error.status >= 500 || error.status === 404;
  return error instanceof PipelineError && error.status >= 500;
}
