import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Caller } from "./Authenticator.js";
import { BuyerQueue } from "./BuyerQueue.js";
import { createGatewayApp } from "./createGatewayApp.js";
import type { GenerateParameters, GenerateResult } from "./Generator.js";
import { createGatewayMetrics } from "./metrics.js";
import { servedTestModel, testModelId, testReceiptsContext, unsignedReceipts } from "./testFixtures.js";

/**
 * Admission over HTTP: one request per buyer at once and none waiting, two per model at once and none waiting.
 * Generation is held open until a test lets it finish, so what is running is what the test says.
 */
const { served, runner, listing, remove } = servedTestModel({ input: 1000n, output: 3000n });
const buyers: Record<string, string> = {
  tt_a: "0x000000000000000000000000000000000000000a",
  tt_b: "0x000000000000000000000000000000000000000b",
  tt_c: "0x000000000000000000000000000000000000000c",
};
const held: Array<() => void> = [];

async function generate(p: GenerateParameters): Promise<GenerateResult> {
  p.onRoute?.([runner]);
  await new Promise<void>((resolve) => held.push(resolve));
  return {
    tokens: [5],
    finishReason: "length",
    promptTokens: p.promptIds.length,
    cost: 1n,
    payment: { channelId: testModelId, sessionId: testModelId, voucherAmount: 1n, free: false },
    attempts: [{ route: [runner] }],
    receipts: unsignedReceipts,
  };
}

let server: Server;
let base: string;
beforeAll(async () => {
  const app = createGatewayApp({
    receipts: testReceiptsContext(),
    models: [served],
    listings: () => new Map([[testModelId, listing]]),
    generator: { generate },
    authenticator: {
      authenticate: async ({ authorization }) =>
        ({
          apiKey: { buyer: buyers[authorization?.replace("Bearer ", "") ?? ""] },
          free: false,
          funds: { remaining: undefined },
        }) as unknown as Caller,
    },
    queue: new BuyerQueue({ maxRunning: 1, maxWaiting: 0 }),
    modelQueue: new BuyerQueue({ maxRunning: 2, maxWaiting: 0, full: "model" }),
    metrics: createGatewayMetrics(),
    defaultMaxTokens: 1,
    pool: { hasRoute: () => true, runners: () => [runner] },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  remove();
});

/** Sends a chat completion as `key`'s buyer and waits until the gateway has admitted or refused it. */
async function send(key: string): Promise<{ response: Promise<Response>; admitted: boolean }> {
  const before = held.length;
  const response = fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }] }),
  });
  // Either generation starts (held grows) or the answer comes back refused.
  const outcome = await Promise.race([
    response.then(() => "answered" as const),
    (async () => {
      while (held.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
      return "admitted" as const;
    })(),
  ]);
  return { response, admitted: outcome === "admitted" };
}

test("over its limit a key gets 429 + Retry-After while another key is served; a full model is 503 + Retry-After", async () => {
  const a = await send("tt_a");
  expect(a.admitted).toBe(true);
  const a2 = await send("tt_a");
  expect(a2.admitted).toBe(false);
  const refused = await a2.response;
  expect(refused.status).toBe(429);
  expect(refused.headers.get("retry-after")).toBe("1");
  const b = await send("tt_b");
  expect(b.admitted).toBe(true);
  // Two running on the model, its limit: a third buyer is refused as the model being full, not as itself.
  const c = await send("tt_c");
  expect(c.admitted).toBe(false);
  const full = await c.response;
  expect(full.status).toBe(503);
  expect(full.headers.get("retry-after")).toBe("1");
  for (const release of held.splice(0)) release();
  expect((await a.response).status).toBe(200);
  expect((await b.response).status).toBe(200);
  // Both lines are free again: the refused buyer is served now.
  const again = await send("tt_c");
  expect(again.admitted).toBe(true);
  for (const release of held.splice(0)) release();
  expect((await again.response).status).toBe(200);
});
