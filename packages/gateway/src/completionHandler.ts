import { randomInt } from "node:crypto";
import { describe } from "@teetee/errors";
import type { ReceiptDomainParameters } from "@teetee/sdk/receipts";
import type { WireSampling } from "@teetee/sdk/wire";
import type { Response } from "express";
import type { Logger } from "pino";
import type { Hex } from "viem";
import type { AuditJob } from "./Auditor.js";
import { type Authenticator, assertFundsCover, type Caller } from "./Authenticator.js";
import type { BuyerQueue } from "./BuyerQueue.js";
import {
  type BuildReceiptBundleParameters,
  buildIncompleteReceiptBundle,
  buildReceiptBundle,
} from "./buildReceiptBundle.js";
import type { ModelListing } from "./ChainDirectory.js";
import { InvalidRequestError, ModelNotFoundError, NoCapacityError } from "./errors.js";
import type { GenerateResult, Generator } from "./Generator.js";
import type { GatewayMetrics } from "./metrics.js";
import {
  chatChunk,
  chatCompletion,
  chatUsageChunk,
  newIdentity,
  type ResponseIdentity,
  textChunk,
  textCompletion,
  textUsageChunk,
  usageOf,
} from "./openaiObjects.js";
import type { ReceiptStore, StoredReceipts } from "./ReceiptStore.js";
import type { RunnerState } from "./RunnerPool.js";
import { findServedModel, type ServedModel } from "./ServedModel.js";
import { SseWriter } from "./SseWriter.js";
import { TextStream } from "./TextStream.js";
import { RECEIPTS_HEADER, receiptsPath, routeHeaders, teeteeMetadata } from "./teeteeMetadata.js";

/** What both endpoints need to run a completion. */
export type CompletionContext = {
  models: readonly ServedModel[];
  listings: () => ReadonlyMap<Hex, ModelListing>;
  generator: Pick<Generator, "generate">;
  authenticator: Pick<Authenticator, "authenticate">;
  /** Runs each buyer's requests a few at a time (see `BuyerQueue`). */
  queue: Pick<BuyerQueue, "enter">;
  /**
   * Bounds what one model's runners are sent at once, all buyers together (a `BuyerQueue` keyed by model, `full:
   * "model"`); entered after the buyer's own line, so one buyer's burst holds at most its own few places in it.
   */
  modelQueue?: Pick<BuyerQueue, "enter">;
  metrics: GatewayMetrics;
  /** `max_tokens` when the request sets none (capped by the context left). */
  defaultMaxTokens: number;
  /**
   * Where each answer's receipt bundle is kept for its buyer, the domain its receipts are signed under, and the
   * chain's clock (the latest block's timestamp, unix seconds; default the wall clock) bundles are checked against.
   */
  receipts: { store: ReceiptStore; domain: ReceiptDomainParameters; now?: () => Promise<bigint> };
  /** Where a withheld receipt bundle is reported. */
  logger?: Pick<Logger, "warn">;
  /** Offered each completed request for a background audit (`Auditor.offer`: never waits, never throws). */
  audit?: (job: AuditJob) => void;
};

/** One completion, whatever endpoint it came through. */
export type CompletionJob = {
  kind: "chat" | "text";
  served: ServedModel;
  listing: ModelListing;
  promptIds: number[];
  maxTokens: number | undefined;
  sampling: WireSampling;
  stops: string[];
  stream: boolean;
  includeUsage: boolean;
};

/** The served model and its on-chain listing for a request's `model` (its name or id). */
export function resolveModel(
  context: CompletionContext,
  model: string,
): { served: ServedModel; listing: ModelListing } {
  const served = findServedModel(context.models, model);
  const listing =
    served === undefined ? undefined : context.listings().get(served.modelId.toLowerCase() as Hex);
  if (served === undefined || listing === undefined || !listing.model.active)
    throw new ModelNotFoundError(model);
  return { served, listing };
}

/**
 * A request without a seed gets a random one, chosen once here so that a failover replaying the context on
 * another route still draws the same tokens (the last shard's draws are keyed by seed and position).
 */
export function samplingOf(body: {
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
}): WireSampling {
  const seed = body.seed ?? randomInt(0, 2 ** 32);
  return { temperature: body.temperature ?? 1, topK: 0, topP: body.top_p ?? 1, seed };
}

/** Characters a prompt may carry per position of the model's context, checked before it is tokenised. */
export const maxCharsPerPosition = 16;

/**
 * Refuses a prompt that could not fit the model's context however it tokenises (more characters than
 * `maxCharsPerPosition` per position), so that tokenising, which runs on the event loop, stays bounded.
 */
export function assertPromptLength(served: ServedModel, characters: number, param: string): void {
  const most = served.manifest.config.maxPositions * maxCharsPerPosition;
  if (characters > most) {
    throw new InvalidRequestError(
      `The prompt (${characters} characters) is longer than this model's context can hold: at most ${most} characters (${maxCharsPerPosition} per position of its ${served.manifest.config.maxPositions}).`,
      { param, code: "context_length_exceeded" },
    );
  }
}

/** Runs an authenticated caller's generation and answers, streaming or not. */
export async function runCompletion(
  context: CompletionContext,
  job: CompletionJob,
  caller: Caller,
  res: Response,
) {
  const { served, listing, promptIds } = job;
  const maxPositions = served.manifest.config.maxPositions;
  const room = maxPositions - promptIds.length;
  if (room < 1) {
    throw new InvalidRequestError(
      `The prompt (${promptIds.length} tokens) fills the model's context of ${maxPositions}.`,
      {
        param: "messages",
        code: "context_length_exceeded",
      },
    );
  }
  const maxTokens = job.maxTokens ?? Math.min(context.defaultMaxTokens, room);
  if (maxTokens > room) {
    throw new InvalidRequestError(
      `max_tokens ${maxTokens} plus the prompt's ${promptIds.length} tokens exceed the model's context of ${maxPositions}.`,
      { param: "max_tokens", code: "context_length_exceeded" },
    );
  }
  const prices = {
    inputPricePerMTok: listing.model.inputPricePerMTok,
    outputPricePerMTok: listing.model.outputPricePerMTok,
  };
  assertFundsCover(caller, { prices, maxInputTokens: promptIds.length, maxOutputTokens: maxTokens });
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  const text = new TextStream(served.tokenizer, job.stops);
  const identity = newIdentity(job.kind === "chat" ? "chatcmpl" : "cmpl", served.name);
  const sse = job.stream ? new SseWriter(res) : undefined;
  let route: readonly RunnerState[] = [];
  let sentRole = false;
  // Known before the first token, so a stream names where its receipts will be in its headers.
  const headers = () => ({
    ...routeHeaders(served.modelId, route),
    [RECEIPTS_HEADER]: receiptsPath(identity.id),
  });
  const emit = (delta: string) => {
    if (sse === undefined || (delta === "" && sentRole)) return;
    sse.start(headers());
    if (job.kind === "chat") {
      if (!sentRole)
        sse.send(chatChunk(identity, { role: "assistant", content: "" }, null, job.includeUsage));
      sentRole = true;
      if (delta !== "") sse.send(chatChunk(identity, { content: delta }, null, job.includeUsage));
    } else if (delta !== "") {
      sse.send(textChunk(identity, delta, null, job.includeUsage));
    }
  };
  const leave = await enterQueues(context, caller.apiKey.buyer, served.modelId, abort.signal);
  const delivered: number[] = [];
  const result = await context.generator
    .generate({
      apiKey: caller.apiKey,
      free: caller.free,
      modelId: served.modelId,
      shardCount: listing.model.shardCount,
      prices,
      promptIds,
      maxTokens,
      sampling: job.sampling,
      stopTokenIds: served.tokenizer.stopTokenIds,
      signal: abort.signal,
      onRoute: (chosen) => {
        route = chosen;
      },
      onToken: (tokenId) => {
        delivered.push(tokenId);
        const { delta, stopped } = text.push(tokenId);
        emit(delta);
        return stopped;
      },
    })
    .catch((error: unknown) => {
      storeFailedReceipts(context, { identity, served, caller, promptIds, tokens: delivered, text }, error);
      // The stream named its receipts up front; a plain answer names them beside the error.
      if (!res.headersSent && error instanceof NoCapacityError && error.receipts !== undefined) {
        res.set(RECEIPTS_HEADER, receiptsPath(identity.id));
      }
      throw error;
    })
    .finally(leave);
  emit(text.finish());
  record(context, result);
  const finishReason = text.stopped ? "stop" : result.finishReason;
  const usage = usageOf(result.promptTokens, result.tokens.length);
  const stored = await receiptBundle(context, {
    id: identity.id,
    domain: context.receipts.domain,
    modelId: served.modelId,
    promptIds,
    result,
    text: text.text,
  });
  context.receipts.store.put(identity.id, {
    buyer: caller.apiKey.buyer,
    modelId: served.modelId,
    receipts: stored,
  });
  context.audit?.({
    requestId: identity.id,
    modelId: served.modelId,
    prices,
    promptIds,
    tokens: result.tokens,
    sampling: job.sampling,
    route: result.attempts.at(-1)?.route ?? route,
  });
  const teetee = teeteeMetadata(served.modelId, result, {
    responseId: identity.id,
    bundle: "bundle" in stored ? stored.bundle : undefined,
    error: "error" in stored ? stored.error : undefined,
  });
  if (sse !== undefined) {
    finishStream(sse, job, identity, { headers: headers(), sentRole }, finishReason, usage, teetee);
    return;
  }
  res.set({ ...headers(), "x-teetee-cost": teetee.cost });
  res.json(
    job.kind === "chat"
      ? chatCompletion(identity, text.text, finishReason, usage, teetee)
      : textCompletion(identity, text.text, finishReason, usage, teetee),
  );
}

function finishStream(
  sse: SseWriter,
  job: CompletionJob,
  identity: ResponseIdentity,
  state: { headers: Record<string, string>; sentRole: boolean },
  finishReason: "stop" | "length",
  usage: ReturnType<typeof usageOf>,
  teetee: ReturnType<typeof teeteeMetadata>,
): void {
  sse.start(state.headers);
  const chat = job.kind === "chat";
  if (chat && !state.sentRole)
    sse.send(chatChunk(identity, { role: "assistant", content: "" }, null, job.includeUsage));
  const withTeeTee = job.includeUsage ? undefined : teetee;
  sse.send(
    chat
      ? chatChunk(identity, {}, finishReason, job.includeUsage, withTeeTee)
      : textChunk(identity, "", finishReason, job.includeUsage, withTeeTee),
  );
  if (job.includeUsage)
    sse.send(chat ? chatUsageChunk(identity, usage, teetee) : textUsageChunk(identity, usage, teetee));
  sse.done();
}

/**
 * The answer's receipt bundle, dated against the chain's clock; one withheld for a receipt from the future is
 * counted and logged, and the answer goes out without it.
 */
async function receiptBundle(
  context: CompletionContext,
  params: Omit<BuildReceiptBundleParameters, "now">,
): Promise<StoredReceipts> {
  const now = await (context.receipts.now ?? wallSeconds)();
  const built = buildReceiptBundle({ ...params, now });
  if (!("withheld" in built)) return built;
  context.metrics.receiptsWithheld.inc();
  const { shardIndex, issuedAt } = built.withheld;
  context.logger?.warn(
    { responseId: params.id, shardIndex, issuedAt: String(issuedAt), now: String(now) },
    "receipt bundle withheld: a receipt is dated in the future",
  );
  return { error: built.error };
}

const wallSeconds = async () => BigInt(Math.floor(Date.now() / 1000));

/** Keeps a request that failed for good's partial chain, marked incomplete, for `GET /v1/receipts/:id`. */
function storeFailedReceipts(
  context: CompletionContext,
  request: {
    identity: ResponseIdentity;
    served: ServedModel;
    caller: Caller;
    promptIds: number[];
    tokens: number[];
    text: TextStream;
  },
  error: unknown,
): void {
  if (!(error instanceof NoCapacityError) || error.receipts === undefined) return;
  const { identity, served, caller, promptIds, tokens, text } = request;
  context.receipts.store.put(identity.id, {
    buyer: caller.apiKey.buyer,
    modelId: served.modelId,
    receipts: buildIncompleteReceiptBundle({
      id: identity.id,
      domain: context.receipts.domain,
      modelId: served.modelId,
      promptIds,
      tokens,
      text: text.text,
      receipts: error.receipts,
      error: describe(error, { foreign: false }),
    }),
  });
}

function record(context: CompletionContext, result: GenerateResult): void {
  context.metrics.tokens.inc({ kind: "prompt" }, result.promptTokens);
  context.metrics.tokens.inc({ kind: "completion" }, result.tokens.length);
  context.metrics.failovers.inc(result.attempts.length - 1);
  context.metrics.charged.inc(Number(result.cost));
}

/**
 * Waits for the buyer's turn, then the model's; returns what ends both. A refusal by the model's line ends the
 * buyer's turn at once.
 */
async function enterQueues(
  context: CompletionContext,
  buyer: string,
  modelId: Hex,
  signal: AbortSignal,
): Promise<() => void> {
  const leaveBuyer = await context.queue.enter(buyer, signal);
  if (context.modelQueue === undefined) return leaveBuyer;
  try {
    const leaveModel = await context.modelQueue.enter(modelId.toLowerCase(), signal);
    return () => {
      leaveModel();
      leaveBuyer();
    };
  } catch (error) {
    leaveBuyer();
    throw error;
  }
}
