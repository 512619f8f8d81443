import { randomUUID } from "node:crypto";
import { ForwardInputError, SequenceTooLongError } from "./errors.js";
import type { ShardSession } from "./ShardSession.js";
import { Sampler, type SamplingParams } from "./sample.js";

export type ForwardChainParams = {
  sessionId: string;
  inputIds: number[];
  logits?: "last" | "all" | number[];
};

/** Runs new tokens through every shard in order and returns the last shard's logits ([n, vocab]). */
export async function forwardChain(
  shards: readonly ShardSession[],
  params: ForwardChainParams,
): Promise<Float32Array> {
  let hiddenStates: Float32Array | undefined;
  for (const shard of shards) {
    const out = await shard.forward({
      sessionId: params.sessionId,
      ...(shard.isFirst ? { inputIds: params.inputIds } : { hiddenStates: hiddenStates! }),
      ...(shard.isLast ? { logits: params.logits ?? "last" } : {}),
    });
    if (out.logits) return out.logits;
    hiddenStates = out.hiddenStates!;
  }
  throw new ForwardInputError("the shard chain does not end with the last shard");
}

export type GenerateParams = {
  /** Shard sessions covering the model in layer order (one session for an unsharded model). */
  shards: readonly ShardSession[];
  promptIds: number[];
  maxTokens: number;
  sampling?: SamplingParams;
  /** Generation ends after emitting any of these (the stop token is included in the output). */
  stopTokens?: number[];
  /** Prefill in chunks of this many positions (default: the whole prompt at once). */
  prefillChunk?: number;
  /** Called with each token as soon as it is sampled, for streaming. */
  onToken?: (tokenId: number) => void;
};

export type GenerateReturnType = { tokens: number[]; finishReason: "stop" | "length" };

/**
 * Prompt to tokens through a chain of in-process shard sessions: (chunked) prefill, then one decode step per
 * token, sampling on the last shard's logits. Uses a fresh sequence id and drops its caches when done. Draws are
 * keyed by position, so generating from the prompt plus the first k tokens continues exactly as an uninterrupted
 * run would (this is how a failover resumes).
 */
export async function generate(params: GenerateParams): Promise<GenerateReturnType> {
  checkChain(params);
  const sampler = new Sampler(params.sampling);
  const stop = new Set(params.stopTokens ?? []);
  const sessionId = randomUUID();
  const tokens: number[] = [];
  try {
    const chunk = params.prefillChunk ?? params.promptIds.length;
    let logits: Float32Array | undefined;
    for (let start = 0; start < params.promptIds.length; start += chunk) {
      logits = await forwardChain(params.shards, {
        sessionId,
        inputIds: params.promptIds.slice(start, start + chunk),
      });
    }
    while (tokens.length < params.maxTokens) {
      const token = sampler.sample(logits!, params.promptIds.length + tokens.length);
      tokens.push(token);
      params.onToken?.(token);
      if (stop.has(token)) return { tokens, finishReason: "stop" };
      if (tokens.length === params.maxTokens) break;
      logits = await forwardChain(params.shards, { sessionId, inputIds: [token] });
    }
    return { tokens, finishReason: "length" };
  } finally {
    for (const shard of params.shards) shard.drop(sessionId);
  }
}

function checkChain({ shards, promptIds, maxTokens, prefillChunk }: GenerateParams): void {
  if (shards.length === 0 || !shards[0]!.isFirst || !shards[shards.length - 1]!.isLast) {
    throw new ForwardInputError("generate needs shard sessions from the first shard to the last, in order");
  }
  if (promptIds.length === 0) throw new ForwardInputError("the prompt has no tokens");
  if (!Number.isInteger(maxTokens) || maxTokens < 1)
    throw new ForwardInputError(`maxTokens ${maxTokens} must be >= 1`);
  if (prefillChunk !== undefined && (!Number.isInteger(prefillChunk) || prefillChunk < 1)) {
    throw new ForwardInputError(`prefillChunk ${prefillChunk} must be a positive integer`);
  }
  const maxPositions = shards[0]!.manifest.config.maxPositions;
  if (promptIds.length + maxTokens - 1 > maxPositions) {
    throw new SequenceTooLongError(
      `prompt of ${promptIds.length} tokens plus ${maxTokens} new tokens exceeds the model's ${maxPositions} positions`,
      { hint: `Lower maxTokens to at most ${maxPositions - promptIds.length + 1}.` },
    );
  }
}
