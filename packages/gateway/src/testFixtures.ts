import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadTokenizer, makeTestModel } from "@teetee/inference";
import type { Address, Hex } from "viem";
import type { ModelListing } from "./ChainDirectory.js";
import type { RouteReceipts } from "./Generator.js";
import { ReceiptStore } from "./ReceiptStore.js";
import type { RunnerState } from "./RunnerPool.js";
import type { ServedModel } from "./ServedModel.js";

/** The model id the gateway's unit tests serve. */
export const testModelId = `0x${"ab".repeat(32)}` as Hex;

/** The receipts context of the gateway's unit tests: a store with default limits and a local chain's domain. */
export function testReceiptsContext() {
  return {
    store: new ReceiptStore(),
    domain: { chainId: 31337, runnerRegistry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address },
  };
}

/** A generation's receipts when a test does not look at them: the route could not sign. */
export const unsignedReceipts: RouteReceipts = {
  sessionId: `0x${"00".repeat(16)}`,
  replayedTokens: 0,
  error: "no receipts in this test",
};

/** A verified, healthy runner of shard 0 of the test model. */
export function testRunner(address: Address = "0x1111111111111111111111111111111111111111"): RunnerState {
  return {
    runner: address,
    endpoint: "http://127.0.0.1:1",
    publicKey: "0x02",
    modelId: testModelId,
    shardIndex: 0,
    contributor: "0x2222222222222222222222222222222222222222",
    attestation: { status: "verified", quoteHash: `0x${"cd".repeat(32)}`, verifiedAt: 1, validUntil: 2 },
    latencyMs: 1,
    inflight: 0,
    downUntil: 0,
    busyUntil: 0,
  };
}

/**
 * For tests of the HTTP surface, which script generation and authentication: a one-layer test model's tokenizer
 * served as "tiny" (context 256), one runner, and the model's on-chain listing at these prices.
 */
export function servedTestModel(prices: { input: bigint; output: bigint }) {
  const dir = mkdtempSync(path.join(tmpdir(), "gateway-test-model-"));
  makeTestModel({ dir, numLayers: 1, hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1 });
  const tokenizer = loadTokenizer(dir);
  const served = {
    name: "tiny",
    modelId: testModelId,
    tokenizer,
    manifest: { config: { maxPositions: 256 } },
    dir,
  } as unknown as ServedModel;
  const runner = testRunner();
  const listing = {
    modelId: testModelId,
    model: {
      active: true,
      shardCount: 1,
      inputPricePerMTok: prices.input,
      outputPricePerMTok: prices.output,
      curator: runner.contributor,
    },
    shards: [],
    runners: [[]],
  } as unknown as ModelListing;
  return { tokenizer, served, runner, listing, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
