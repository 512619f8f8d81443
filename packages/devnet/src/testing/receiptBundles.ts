import {
  hashReceipt,
  type Receipt,
  type ReceiptBundle,
  type ReceiptDomainParameters,
  ReceiptHasher,
  receiptParamsHash,
  type SignedReceipt,
  signReceipt,
  ZERO_HASH,
} from "@teetee/sdk/receipts";
import type { Hex, LocalAccount } from "viem";

export type SignReceiptBundleParameters = {
  domain: ReceiptDomainParameters;
  modelId: Hex;
  /** Default `0x5e5e…`. */
  sessionId?: Hex;
  /** One key per shard, in shard order: the runners that sign. */
  signers: readonly LocalAccount[];
  promptTokenIds: number[];
  completionTokenIds: number[];
  /** Default 0. */
  replayedTokens?: number;
  text: string;
  issuedAt: bigint;
};

const ROW_WIDTH = 4;

function tokenDigest(positionStart: number, tokenIds: readonly number[]): Hex {
  const hasher = new ReceiptHasher();
  hasher.tokens(positionStart, tokenIds);
  return hasher.digest();
}

/** Shard k's output rows: any values do, as long as shard k+1's receipt reads the same ones. */
function rowsDigest(shard: number, positions: number): Hex {
  const hasher = new ReceiptHasher();
  const rows = Float32Array.from({ length: positions * ROW_WIDTH }, (_, i) => Math.sin(i + shard * 1000));
  hasher.rows(0, rows, ROW_WIDTH);
  return hasher.digest();
}

/**
 * An honest receipt bundle, as a route of runners would sign it without running a model: shard 0 reads the prompt
 * and fed-back completion tokens, each shard passes activation rows on and names the previous receipt's hash, the
 * last shard samples the completion (from `replayedTokens` on). For verifier tests: change one thing and see it
 * refused.
 */
export async function signReceiptBundle(parameters: SignReceiptBundleParameters): Promise<ReceiptBundle> {
  const { domain, modelId, signers, promptTokenIds, completionTokenIds, issuedAt } = parameters;
  const sessionId = parameters.sessionId ?? (`0x${"5e".repeat(16)}` as Hex);
  const replayedTokens = parameters.replayedTokens ?? 0;
  const positions = promptTokenIds.length + completionTokenIds.length - 1;
  const receipts: SignedReceipt[] = [];
  for (const [shard, signer] of signers.entries()) {
    const last = shard === signers.length - 1;
    const previous = receipts[shard - 1]?.receipt;
    const receipt: Receipt = {
      modelId,
      shardIndex: shard,
      sessionId,
      positionStart: 0,
      positionCount: positions,
      paramsHash: receiptParamsHash({
        sampling: { temperature: 0, topK: 0, topP: 1, seed: 7 },
        logprobs: false,
        activationDtype: last ? undefined : "fp32",
        frames: [{ positionStart: 0, positionCount: positions }],
      }),
      inputHash:
        previous?.outputHash ?? tokenDigest(0, [...promptTokenIds, ...completionTokenIds.slice(0, -1)]),
      outputHash: last
        ? tokenDigest(promptTokenIds.length + replayedTokens, completionTokenIds.slice(replayedTokens))
        : rowsDigest(shard, positions),
      previousReceipt: previous === undefined ? ZERO_HASH : hashReceipt({ receipt: previous, ...domain }),
      issuedAt,
    };
    receipts.push(await signReceipt(signer, { receipt, ...domain }));
  }
  return {
    version: 1,
    id: "chatcmpl-receipts",
    ...domain,
    modelId,
    sessionId,
    promptTokenIds,
    completionTokenIds,
    replayedTokens,
    text: parameters.text,
    receipts,
  };
}
