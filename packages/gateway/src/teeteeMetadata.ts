import type { ReceiptBundleJson } from "@teetee/sdk/receipts";
import type { Hex } from "viem";
import type { GenerateResult } from "./Generator.js";
import type { RunnerState } from "./RunnerPool.js";

/** What a buyer can check about a response, in the `teetee` field (OpenAI clients ignore unknown fields). */
export type TeeTeeMetadata = {
  model_id: Hex;
  route: {
    shard: number;
    runner: string;
    contributor: string;
    endpoint: string;
    attestation: { status: string; quote_hash: Hex; verified_at: number | null; valid_until: number | null };
  }[];
  failovers: { route: string[]; failed: string[]; error: string }[];
  usage: { input_tokens: number; output_tokens: number };
  /** Payment-token base units, as a decimal string (amounts exceed 2^53). */
  cost: string;
  payment: { free: boolean; channel_id: Hex; session_id: Hex; voucher_amount: string };
  /** The route's signed receipts and the tokens they commit to; absent when the route could not sign them. */
  receipts?: ReceiptBundleJson;
  /** Why `receipts` is absent. */
  receipts_error?: string;
  /** Where the same bundle can be fetched again later, with the same API key. */
  receipts_url: string;
};

/** The header naming where a response's receipts can be fetched (sent up front on streams). */
export const RECEIPTS_HEADER = "teetee-receipts";

/** Where a response's receipt bundle is fetched. */
export function receiptsPath(responseId: string): string {
  return `/v1/receipts/${responseId}`;
}

export function routeMetadata(route: readonly RunnerState[]): TeeTeeMetadata["route"] {
  return route.map((r) => ({
    shard: r.shardIndex,
    runner: r.runner,
    contributor: r.contributor,
    endpoint: r.endpoint,
    attestation: {
      status: r.attestation.status,
      quote_hash: r.attestation.quoteHash,
      verified_at: r.attestation.verifiedAt ?? null,
      valid_until: r.attestation.validUntil ?? null,
    },
  }));
}

export function teeteeMetadata(
  modelId: Hex,
  result: GenerateResult,
  receipts: { responseId: string; bundle: ReceiptBundleJson | undefined; error: string | undefined },
): TeeTeeMetadata {
  const completed = result.attempts[result.attempts.length - 1]!;
  return {
    model_id: modelId,
    route: routeMetadata(completed.route),
    failovers: result.attempts.slice(0, -1).map((a) => ({
      route: a.route.map((r) => r.runner),
      failed: a.failed ?? [],
      error: a.error ?? "",
    })),
    usage: { input_tokens: result.promptTokens, output_tokens: result.tokens.length },
    cost: result.cost.toString(),
    payment: {
      free: result.payment.free,
      channel_id: result.payment.channelId,
      session_id: result.payment.sessionId,
      voucher_amount: result.payment.voucherAmount.toString(),
    },
    ...(receipts.bundle === undefined ? {} : { receipts: receipts.bundle }),
    ...(receipts.error === undefined ? {} : { receipts_error: receipts.error }),
    receipts_url: receiptsPath(receipts.responseId),
  };
}

/** The same facts as `x-teetee-*` headers, for clients that only see headers. */
export function routeHeaders(modelId: Hex, route: readonly RunnerState[]): Record<string, string> {
  return {
    "x-teetee-model-id": modelId,
    "x-teetee-route": route.map((r) => r.runner).join(","),
    "x-teetee-attestation": route.map((r) => r.attestation.status).join(","),
  };
}
