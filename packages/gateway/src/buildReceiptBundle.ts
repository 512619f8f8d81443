import {
  isFromTheFuture,
  RECEIPT_CLOCK_SKEW_SECONDS,
  type ReceiptBundle,
  type ReceiptDomainParameters,
  receiptBundleJson,
} from "@teetee/sdk/receipts";
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
  /** The latest block's timestamp, unix seconds: what a verifier compares `issuedAt` with. */
  now: bigint;
};

/** Why a bundle was not delivered: its first receipt dated more than the tolerance after `now`. */
export type WithheldReceipt = { shardIndex: number; issuedAt: bigint; now: bigint };

export type BuildReceiptBundleReturnType = StoredReceipts | { error: string; withheld: WithheldReceipt };

/**
 * The receipt bundle of a completed request, as JSON for the answer and for `GET /v1/receipts/:id`: the final
 * route's receipts and every token they commit to, or why the route could not sign them. A bundle with a receipt
 * dated more than `RECEIPT_CLOCK_SKEW_SECONDS` after `now` is withheld (`withheld` says which): every verifier
 * refuses it, and a runner dating ahead may mean to deactivate before that date and escape its slashing.
 */
export function buildReceiptBundle(params: BuildReceiptBundleParameters): BuildReceiptBundleReturnType {
  const { receipts } = params.result;
  if ("error" in receipts) return { error: receipts.error };
  const future = receipts.receipts.find(({ receipt }) => isFromTheFuture(receipt.issuedAt, params.now));
  if (future !== undefined) {
    const { shardIndex, issuedAt } = future.receipt;
    return {
      error: `withheld: shard ${shardIndex}'s receipt is dated ${issuedAt - params.now} s after the latest block (at most ${RECEIPT_CLOCK_SKEW_SECONDS} s is tolerated)`,
      withheld: { shardIndex, issuedAt, now: params.now },
    };
  }
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

export type BuildIncompleteReceiptBundleParameters = Omit<BuildReceiptBundleParameters, "result" | "now"> & {
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
