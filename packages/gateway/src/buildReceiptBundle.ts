import { type ReceiptBundle, type ReceiptDomainParameters, receiptBundleJson } from "@teetee/sdk/receipts";
import type { Hex } from "viem";
import type { PartialRouteReceipts } from "./errors.js";
import type { GenerateResult } from "./Generator.js";
import type { StoredReceipts } from "./ReceiptStore.js";

export type BuildReceiptBundleParameters = {
  /** The response id the buyer got. */
  id: string;
  domain: ReceiptDomainParameters;
  modelId: Hex;
  /** The prompt's token ids as fed to shard 0 (before any replayed completion tokens). */
  promptIds: readonly number[];
  result: Pick<GenerateResult, "tokens" | "receipts">;
  /** The answer's text exactly as the buyer got it. */
  text: string;
};

/**
 * The receipt bundle of a completed request, as JSON for the answer and for `GET /v1/receipts/:id`: the final
 * route's receipts and every token they commit to, or why the route could not sign them.
 */
export function buildReceiptBundle(params: BuildReceiptBundleParameters): StoredReceipts {
  const { receipts } = params.result;
  if ("error" in receipts) return { error: receipts.error };
  const bundle: ReceiptBundle = {
    version: 1,
    id: params.id,
    chainId: params.domain.chainId,
    runnerRegistry: params.domain.runnerRegistry,
    modelId: params.modelId,
    sessionId: receipts.sessionId,
    promptTokenIds: [...params.promptIds],
    completionTokenIds: [...params.result.tokens],
    replayedTokens: receipts.replayedTokens,
    text: params.text,
    receipts: receipts.receipts,
  };
  return { bundle: receiptBundleJson(bundle) };
}

export type BuildIncompleteReceiptBundleParameters = Omit<BuildReceiptBundleParameters, "result"> & {
  /** Every token the buyer got before the request failed. */
  tokens: readonly number[];
  receipts: PartialRouteReceipts;
  /** Why the request failed, as the buyer was told. */
  error: string;
};

/**
 * The bundle of a request that failed for good: the final route's receipts as far as its runners signed them,
 * marked `incomplete` with the error (verifying it names the missing shards).
 */
export function buildIncompleteReceiptBundle(params: BuildIncompleteReceiptBundleParameters): StoredReceipts {
  const bundle: ReceiptBundle = {
    version: 1,
    id: params.id,
    chainId: params.domain.chainId,
    runnerRegistry: params.domain.runnerRegistry,
    modelId: params.modelId,
    sessionId: params.receipts.sessionId,
    promptTokenIds: [...params.promptIds],
    completionTokenIds: [...params.tokens],
    replayedTokens: params.receipts.replayedTokens,
    text: params.text,
    receipts: params.receipts.receipts,
    incomplete: { error: params.error },
  };
  return { bundle: receiptBundleJson(bundle) };
}
