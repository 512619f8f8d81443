import type { TeeTeeMetadata } from "./teeteeMetadata.js";

export type FinishReason = "stop" | "length";
export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** The identity every object of one response shares. */
export type ResponseIdentity = { id: string; created: number; model: string };

export function newIdentity(prefix: "chatcmpl" | "cmpl", model: string): ResponseIdentity {
  const id = `${prefix}-${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("hex")}`;
  return { id, created: Math.floor(Date.now() / 1000), model };
}

export function chatCompletion(
  identity: ResponseIdentity,
  content: string,
  finishReason: FinishReason,
  usage: Usage,
  teetee: TeeTeeMetadata,
) {
  return {
    ...identity,
    object: "chat.completion" as const,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content, refusal: null },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage,
    teetee,
  };
}

/** A streamed chat chunk. With `include_usage`, every chunk has `usage: null` but the last, which has no choices. */
export function chatChunk(
  identity: ResponseIdentity,
  delta: { role?: "assistant"; content?: string },
  finishReason: FinishReason | null,
  includeUsage: boolean,
  teetee?: TeeTeeMetadata,
) {
  return {
    ...identity,
    object: "chat.completion.chunk" as const,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
    ...(teetee === undefined ? {} : { teetee }),
  };
}

export function chatUsageChunk(identity: ResponseIdentity, usage: Usage, teetee: TeeTeeMetadata) {
  return {
    ...identity,
    object: "chat.completion.chunk" as const,
    system_fingerprint: null,
    choices: [],
    usage,
    teetee,
  };
}

export function textCompletion(
  identity: ResponseIdentity,
  text: string,
  finishReason: FinishReason,
  usage: Usage,
  teetee: TeeTeeMetadata,
) {
  return {
    ...identity,
    object: "text_completion" as const,
    system_fingerprint: null,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
    usage,
    teetee,
  };
}

export function textChunk(
  identity: ResponseIdentity,
  text: string,
  finishReason: FinishReason | null,
  includeUsage: boolean,
  teetee?: TeeTeeMetadata,
) {
  return {
    ...identity,
    object: "text_completion" as const,
    system_fingerprint: null,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
    ...(teetee === undefined ? {} : { teetee }),
  };
}

export function textUsageChunk(identity: ResponseIdentity, usage: Usage, teetee: TeeTeeMetadata) {
  return {
    ...identity,
    object: "text_completion" as const,
    system_fingerprint: null,
    choices: [],
    usage,
    teetee,
  };
}
