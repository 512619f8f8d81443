import { type ReceiptBundle, type ReceiptDomainParameters, receiptBundleJson } from "@teetee/sdk/receipts";
import type { Hex } from "viem";
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
