import { describeServerLimits } from "@teetee/devnet/testing";
import { DEFAULT_SERVER_LIMITS, resolveServerLimits, type ServerLimits } from "@teetee/sdk/http";
import { BuyerQueue } from "./BuyerQueue.js";
import { parseGatewayConfig } from "./config.js";
import { createGatewayApp } from "./createGatewayApp.js";
import type { GenerateParameters, GenerateResult } from "./Generator.js";
import { listenGateway } from "./listenGateway.js";
import { createGatewayMetrics } from "./metrics.js";
import { servedTestModel, testModelId, testReceiptsContext, unsignedReceipts } from "./testFixtures.js";

const { tokenizer, served, runner, listing, remove } = servedTestModel({ input: 1n, output: 1n });
afterAll(remove);
const modelId = testModelId;
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
    receipts: unsignedReceipts,
  };
}

const app = createGatewayApp({
  models: [served],
  listings: () => new Map([[modelId, listing]]),
  generator: { generate: slowGenerate },
  receipts: testReceiptsContext(),
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
  const config = parseGatewayConfig(["--model", "tiny=/models/tiny", "--request-timeout-ms", "20000"], {
    TEETEE_MAX_HEADER_BYTES: "8192",
  });
  expect(config).toMatchObject({
    maxHeaderBytes: 8192,
    headersTimeoutMs: DEFAULT_SERVER_LIMITS.headersTimeoutMs,
    requestTimeoutMs: 20_000,
    keepAliveTimeoutMs: DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs,
  });
});
