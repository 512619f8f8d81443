import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { makeTestModel, Tokenizer } from "@teetee/inference";
import { DEFAULT_SERVER_LIMITS, resolveServerLimits, type ServerLimits } from "@teetee/sdk";
import type { Hex } from "viem";
import { describeServerLimits } from "../../../scripts/lib/serverLimitsSpec.js";
import { BuyerQueue } from "./BuyerQueue.js";
import type { ModelListing } from "./ChainDirectory.js";
import { parseGatewayConfig } from "./config.js";
import { createGatewayApp } from "./createGatewayApp.js";
import type { GenerateParameters, GenerateResult } from "./Generator.js";
import { listenGateway } from "./listenGateway.js";
import { createGatewayMetrics } from "./metrics.js";
import type { RunnerState } from "./RunnerPool.js";
import type { ServedModel } from "./ServedModel.js";

const modelId = `0x${"ab".repeat(32)}` as Hex;
const dir = mkdtempSync(path.join(tmpdir(), "gateway-limits-"));
makeTestModel({ dir, numLayers: 1, hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tokenizer = Tokenizer.fromDir(dir);
const served = {
  name: "tiny",
  modelId,
  tokenizer,
  manifest: { config: { maxPositions: 256 } },
} as unknown as ServedModel;
const runner: RunnerState = {
  runner: "0x1111111111111111111111111111111111111111",
  endpoint: "http://127.0.0.1:1",
  publicKey: "0x02",
  modelId,
  shardIndex: 0,
  contributor: "0x2222222222222222222222222222222222222222",
  attestation: { status: "verified", quoteHash: `0x${"cd".repeat(32)}`, verifiedAt: 1, validUntil: 2 },
  latencyMs: 1,
  inflight: 0,
  downUntil: 0,
};
const listing = {
  modelId,
  model: {
    active: true,
    shardCount: 1,
    inputPricePerMTok: 1n,
    outputPricePerMTok: 1n,
    curator: runner.contributor,
  },
  shards: [],
  runners: [[]],
} as unknown as ModelListing;
const TOKEN_GAP_MS = 250;
const replyTokens = tokenizer
  .encode("one two three four five six seven", { addSpecialTokens: false })
  .slice(0, 6);

/** A generator that yields one token every TOKEN_GAP_MS, so a stream outlasts a short request timeout. */
async function slowGenerate(p: GenerateParameters): Promise<GenerateResult> {
  p.onRoute?.([runner]);
  for (const token of replyTokens) {
    await new Promise((resolve) => setTimeout(resolve, TOKEN_GAP_MS));
    p.onToken?.(token);
  }
  return {
    tokens: [...replyTokens],
    finishReason: "length",
    promptTokens: p.promptIds.length,
    cost: 1n,
    payment: { channelId: modelId, sessionId: modelId, voucherAmount: 1n, free: false },
    attempts: [{ route: [runner] }],
  };
}

const app = createGatewayApp({
  models: [served],
  listings: () => new Map([[modelId, listing]]),
  generator: { generate: slowGenerate },
  authenticator: {
    authenticate: async () => ({
      apiKey: { buyer: "0x3333333333333333333333333333333333333333" } as never,
      free: false,
      funds: { remaining: undefined },
    }),
  },
  queue: new BuyerQueue(),
  metrics: createGatewayMetrics(),
  defaultMaxTokens: 64,
  pool: { hasRoute: () => true, runners: () => [runner] },
});

async function startGatewayServer(limits: Partial<ServerLimits>) {
  const server = await listenGateway(app, { host: "127.0.0.1", port: 0, ...resolveServerLimits(limits) });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describeServerLimits("gateway", {
  start: startGatewayServer,
  alivePath: "/healthz",
  body: { path: "/v1/chat/completions", contentType: "application/json", maxBytes: 4 * 1024 * 1024 },
});

test("gateway: a server-sent stream longer than the request timeout is not cut", async () => {
  const requestTimeoutMs = 400;
  const gateway = await startGatewayServer({ requestTimeoutMs, headersTimeoutMs: requestTimeoutMs });
  try {
    const started = Date.now();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer tt_x" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThan(3 * requestTimeoutMs);
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
  } finally {
    await gateway.close();
  }
});

test("gateway: the limits are configuration, from flags or the environment, with defaults", () => {
  const config = parseGatewayConfig(["--model", dir, "--request-timeout-ms", "20000"], {
    TEETEE_MAX_HEADER_BYTES: "8192",
  });
  expect(config).toMatchObject({
    maxHeaderBytes: 8192,
    headersTimeoutMs: DEFAULT_SERVER_LIMITS.headersTimeoutMs,
    requestTimeoutMs: 20_000,
    keepAliveTimeoutMs: DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs,
  });
});
