import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { makeTestModel, modelIdOf, shardModel, tokenizerFromModelFiles } from "@teetee/inference";
import { PaymentError } from "@teetee/sdk/payments";
import { RunnerRefusedError } from "@teetee/sdk/pipeline";
import {
  parseReceiptBundle,
  RECEIPT_CLOCK_SKEW_SECONDS,
  type SignedReceipt,
  signReceipt,
  ZERO_HASH,
} from "@teetee/sdk/receipts";
import type { Logger } from "pino";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Caller } from "./Authenticator.js";
import { BuyerQueue } from "./BuyerQueue.js";
import { createGatewayApp } from "./createGatewayApp.js";
import { AuthenticationError, InsufficientFundsError, NoCapacityError } from "./errors.js";
import type { GenerateParameters, GenerateResult, RouteReceipts } from "./Generator.js";
import { createGatewayMetrics } from "./metrics.js";
import type { RunnerState } from "./RunnerPool.js";
import { loadServedModel, type ServedModel } from "./ServedModel.js";
import { servedTestModel, testModelId, testReceiptsContext } from "./testFixtures.js";

const modelId = testModelId;
const { tokenizer, served, runner, listing, remove } = servedTestModel({ input: 1000n, output: 3000n });
const reply = "Hello, world: tokens in order.";
const replyTokens = tokenizer.encode(reply, { addSpecialTokens: false });

/** Isolates the HTTP surface: generation and authentication are scripted per test. */
let generate: (p: GenerateParameters) => Promise<GenerateResult>;
let authenticate: () => Promise<Caller>;
let routable = true;
let poolRunners: RunnerState[] = [runner];
const caller: Caller = {
  apiKey: { buyer: "0x3333333333333333333333333333333333333333" } as unknown as Caller["apiKey"],
  free: false,
  funds: { remaining: undefined },
};
const seen: GenerateParameters[] = [];
/** The chain's clock the gateway dates bundles against: the scripted receipt's own date unless a test moves it. */
let chainNow = 1_800_000_000n;
const receiptsContext = { ...testReceiptsContext(), now: async () => chainNow };
const metrics = createGatewayMetrics();
const warnings: unknown[] = [];
const sessionId = `0x${"5e".repeat(16)}` as const;
let signed: SignedReceipt;
/** What the scripted route signs: its receipt, or a failure to sign. */
let routeReceipts: () => RouteReceipts;

function scripted(tokens: readonly number[]) {
  return async (p: GenerateParameters): Promise<GenerateResult> => {
    seen.push(p);
    p.onRoute?.([runner]);
    const out: number[] = [];
    let finishReason: "stop" | "length" = "length";
    for (const token of tokens.slice(0, p.maxTokens)) {
      out.push(token);
      if (p.onToken?.(token) === true) {
        finishReason = "stop";
        break;
      }
    }
    return {
      tokens: out,
      finishReason,
      promptTokens: p.promptIds.length,
      cost: 42n,
      payment: { channelId: modelId, sessionId: modelId, voucherAmount: 42n, free: false },
      attempts: [{ route: [runner] }],
      receipts: routeReceipts(),
    };
  };
}

let server: Server;
let base: string;
/** A model sharded for real, whose manifest and tokenizer files the gateway serves to verifiers. */
let sharded: ServedModel;
beforeAll(async () => {
  const modelDir = join(served.dir, "model");
  makeTestModel({
    dir: modelDir,
    numLayers: 1,
    hiddenSize: 16,
    intermediateSize: 32,
    numHeads: 2,
    numKvHeads: 1,
  });
  await shardModel({ modelDir, outDir: join(served.dir, "shards"), shardCount: 1, quiet: true });
  sharded = await loadServedModel(join(served.dir, "shards"), "sharded");
  signed = await signReceipt(privateKeyToAccount(generatePrivateKey()), {
    ...receiptsContext.domain,
    receipt: {
      modelId,
      shardIndex: 0,
      sessionId,
      positionStart: 0,
      positionCount: 9,
      paramsHash: ZERO_HASH,
      inputHash: ZERO_HASH,
      outputHash: ZERO_HASH,
      previousReceipt: ZERO_HASH,
      issuedAt: 1_800_000_000n,
    },
  });
  const app = createGatewayApp({
    receipts: receiptsContext,
    models: [served, sharded],
    listings: () => new Map([[modelId, listing]]),
    generator: { generate: (p) => generate(p) },
    authenticator: { authenticate: () => authenticate() },
    queue: new BuyerQueue(),
    metrics,
    defaultMaxTokens: 64,
    pool: { hasRoute: () => routable, runners: () => poolRunners },
    logger: { warn: (...args: unknown[]) => warnings.push(args), error: () => {} } as unknown as Logger,
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
beforeEach(() => {
  generate = scripted(replyTokens);
  routeReceipts = () => ({ sessionId, replayedTokens: 0, receipts: [signed] });
  authenticate = async () => caller;
  routable = true;
  poolRunners = [runner];
  seen.length = 0;
  chainNow = 1_800_000_000n;
  warnings.length = 0;
});

async function post(pathname: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${pathname}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer tt_x", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Counts the calls of one method of `object` until `restore`. */
function countCalls<T extends object, K extends keyof T & string>(object: T, method: K) {
  const original = object[method] as (...args: unknown[]) => unknown;
  let calls = 0;
  Object.assign(object, {
    [method]: (...args: unknown[]) => {
      calls++;
      return original.apply(object, args);
    },
  });
  return {
    get calls() {
      return calls;
    },
    restore: () => {
      delete (object as Record<string, unknown>)[method];
    },
  };
}

/** A response's JSON body, loosely typed for assertions. */
async function json(response: Response) {
  return JSON.parse(await response.text());
}

/** The `data:` payloads of an SSE body. */
function events(text: string): string[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice(6));
}

const chat = { model: "tiny", messages: [{ role: "user", content: "Say hello" }] };

describe("POST /v1/chat/completions", () => {
  test("answers an OpenAI chat.completion with usage, route headers and the teetee field", async () => {
    const response = await post("/v1/chat/completions", { ...chat, max_tokens: 50, temperature: 0, seed: 3 });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-teetee-route")).toBe(runner.runner);
    expect(response.headers.get("x-teetee-attestation")).toBe("verified");
    expect(response.headers.get("x-teetee-cost")).toBe("42");
    const body = await json(response);
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "tiny",
      choices: [
        { index: 0, message: { role: "assistant", content: reply }, finish_reason: "length", logprobs: null },
      ],
      usage: { prompt_tokens: seen[0]!.promptIds.length, completion_tokens: replyTokens.length },
      teetee: {
        model_id: modelId,
        cost: "42",
        route: [{ runner: runner.runner, attestation: { status: "verified" } }],
      },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(seen[0]!.sampling).toEqual({ temperature: 0, topK: 0, topP: 1, seed: 3 });
    expect(seen[0]!.promptIds).toEqual(tokenizer.encodeChat([{ role: "user", content: "Say hello" }]));
  });

  test("streams OpenAI chunks: the role first, content deltas, the finish reason, a usage chunk, then [DONE]", async () => {
    const response = await post("/v1/chat/completions", {
      ...chat,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const data = events(await response.text());
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual({
      prompt_tokens: seen[0]!.promptIds.length,
      completion_tokens: replyTokens.length,
      total_tokens: seen[0]!.promptIds.length + replyTokens.length,
    });
    expect(usageChunk.teetee.cost).toBe("42");
    const finish = chunks.at(-2);
    expect(finish.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "length" });
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    const text = chunks.flatMap((c) =>
      c.choices.map((choice: { delta: { content?: string } }) => choice.delta.content ?? ""),
    );
    expect(text.join("")).toBe(reply);
  });

  test("without include_usage no usage key appears and the teetee field rides the finish chunk", async () => {
    const data = events(await (await post("/v1/chat/completions", { ...chat, stream: true })).text());
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.some((c) => "usage" in c)).toBe(false);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("length");
    expect(chunks.at(-1).teetee.route[0].runner).toBe(runner.runner);
  });

  test("a stop string ends generation there and is not returned", async () => {
    const body = await json(await post("/v1/chat/completions", { ...chat, stop: [": tokens"] }));
    expect(body.choices[0]).toMatchObject({ message: { content: "Hello, world" }, finish_reason: "stop" });
    expect(body.usage.completion_tokens).toBeLessThan(replyTokens.length);
  });

  test.each([
    [{ ...chat, n: 2 }, "n", /n=1/],
    [{ ...chat, tools: [] }, "tools", /Unsupported parameter: 'tools'/],
    [{ ...chat, temperature: 3 }, "temperature", /temperature/],
    [{ ...chat, max_tokens: 0 }, "max_tokens", /max_tokens/],
    [{ ...chat, logprobs: true }, "logprobs", /logprobs are not supported/],
    [{ ...chat, messages: [] }, "messages", /messages/],
    [{ ...chat, messages: [{ role: "tool", content: "x" }] }, "messages.0.role", /Roles/],
    [{ ...chat, max_tokens: 10_000 }, "max_tokens", /context/],
  ])("refuses %j with a 400 naming the parameter", async (body, param, message) => {
    const response = await post("/v1/chat/completions", body);
    expect(response.status).toBe(400);
    const error = (await json(response)).error;
    expect(error).toMatchObject({ type: "invalid_request_error", param });
    expect(error.message).toMatch(message);
  });

  test("refuses malformed JSON in OpenAI's error shape", async () => {
    const response = await post("/v1/chat/completions", "{nope");
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      error: {
        message: "The request body is not valid JSON.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_json",
      },
    });
  });

  test("a body over the limit gets 413 in OpenAI's error shape, and the gateway keeps serving", async () => {
    const content = "x".repeat(5 * 1024 * 1024);
    const response = await post("/v1/chat/completions", { ...chat, messages: [{ role: "user", content }] });
    expect(response.status).toBe(413);
    expect(await json(response)).toEqual({
      error: {
        message: expect.stringMatching(/larger than the gateway accepts \(4194304 bytes\)/),
        type: "invalid_request_error",
        param: null,
        code: "request_too_large",
      },
    });
    expect((await post("/v1/chat/completions", chat)).status).toBe(200);
  });

  test.each([
    [
      "/v1/chat/completions",
      { ...chat, stop: ["a", "b", "c", "d", "e"] },
      "Invalid stop: at most 4 stop strings, each a non-empty string.",
    ],
    [
      "/v1/completions",
      { model: "tiny", prompt: ["a", "b"] },
      "Invalid prompt: a string, one string in an array, or an array of token ids; several prompts per request are not supported.",
    ],
  ])("%s names the rule a bad value breaks", async (path, body, message) => {
    const response = await post(path, body);
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toBe(message);
  });

  test("404 for an unknown model", async () => {
    const response = await post("/v1/chat/completions", { ...chat, model: "gpt-4o" });
    expect(response.status).toBe(404);
    expect((await json(response)).error).toMatchObject({
      type: "not_found_error",
      param: "model",
      code: "model_not_found",
    });
  });

  test.each([
    [() => new AuthenticationError("This API key has expired."), 401, "authentication_error"],
    [() => new InsufficientFundsError("Balance too low."), 402, "insufficient_quota"],
    [() => new PaymentError("signer_revoked", "revoked"), 401, "authentication_error"],
    [() => new NoCapacityError("No route."), 503, "server_error"],
    [() => new RunnerRefusedError("voucher refused", { status: 402 }), 402, "insufficient_quota"],
    [() => new RunnerRefusedError("full", { status: 503 }), 503, "server_error"],
    [() => new Error("secret internals"), 500, "server_error"],
  ])("maps a failure to its status and type (%#)", async (make, status, type) => {
    generate = async () => {
      throw make();
    };
    const response = await post("/v1/chat/completions", chat);
    expect(response.status).toBe(status);
    const { error } = await json(response);
    expect(error.type).toBe(type);
    expect(error.message).not.toMatch(/secret internals/);
  });

  test("a runner's 'too many at once' is 429 with the runner's Retry-After, never a funds error", async () => {
    generate = async () => {
      throw new RunnerRefusedError("too_many_open_requests: Too many open (retry after 7 s)", {
        status: 429,
        retryAfterSeconds: 7,
      });
    };
    const response = await post("/v1/chat/completions", chat);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect((await json(response)).error).toMatchObject({ type: "rate_limit_error", code: "rate_limited" });
  });

  test("a buyer's burst waits its turn at the gateway: at most 4 of its requests reach the runners at once", async () => {
    let running = 0;
    let most = 0;
    const inner = scripted(replyTokens);
    generate = async (p) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return inner(p);
    };
    const responses = await Promise.all(Array.from({ length: 10 }, () => post("/v1/chat/completions", chat)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(most).toBe(4);
  });

  test("an unauthenticated request is refused before its prompt is tokenised", async () => {
    const encodeChat = countCalls(tokenizer, "encodeChat");
    const encode = countCalls(tokenizer, "encode");
    authenticate = async () => {
      throw new AuthenticationError("This API key is not authorised on-chain by its buyer.");
    };
    try {
      const big = "lorem ipsum ".repeat(20_000);
      const chatResponse = await post("/v1/chat/completions", {
        ...chat,
        messages: [{ role: "user", content: big }],
      });
      expect(chatResponse.status).toBe(401);
      const textResponse = await post("/v1/completions", { model: "tiny", prompt: big });
      expect(textResponse.status).toBe(401);
      expect(encodeChat.calls).toBe(0);
      expect(encode.calls).toBe(0);
    } finally {
      encodeChat.restore();
      encode.restore();
    }
  });

  test("a prompt with more characters than the context could hold is refused before tokenising", async () => {
    const encodeChat = countCalls(tokenizer, "encodeChat");
    try {
      // The test model's context is 256 positions: 256 x 16 characters is the most a prompt may carry.
      const response = await post("/v1/chat/completions", {
        ...chat,
        messages: [
          { role: "system", content: "x".repeat(2048) },
          { role: "user", content: "y".repeat(2049) },
        ],
      });
      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatchObject({
        code: "context_length_exceeded",
        param: "messages",
        message: expect.stringContaining("4096 characters"),
      });
      expect(encodeChat.calls).toBe(0);
    } finally {
      encodeChat.restore();
    }
  });

  test("a request over the key's funds is refused after tokenising, before any runner", async () => {
    authenticate = async () => ({ ...caller, funds: { remaining: 0n } });
    const response = await post("/v1/chat/completions", { ...chat, max_tokens: 50 });
    expect(response.status).toBe(402);
    expect((await json(response)).error.message).toMatch(/remaining spend limit \(0\)/);
    expect(seen).toHaveLength(0);
  });

  test("a failure after the stream began arrives as an SSE error event", async () => {
    generate = async (p) => {
      p.onRoute?.([runner]);
      p.onToken?.(replyTokens[0]!);
      p.onToken?.(replyTokens[1]!);
      throw new NoCapacityError("All routes failed.");
    };
    const data = events(await (await post("/v1/chat/completions", { ...chat, stream: true })).text());
    expect(JSON.parse(data.at(-1)!)).toMatchObject({ error: { type: "server_error", code: "no_capacity" } });
  });
});

describe("receipts", () => {
  const receiptsOf = (body: { teetee: { receipts?: unknown } }) => parseReceiptBundle(body.teetee.receipts);

  test("a non-streamed answer carries its bundle and names where to fetch it again", async () => {
    const response = await post("/v1/chat/completions", { ...chat, max_tokens: 50 });
    const body = await json(response);
    expect(response.headers.get("teetee-receipts")).toBe(`/v1/receipts/${body.id}`);
    expect(body.teetee.receipts_url).toBe(`/v1/receipts/${body.id}`);
    expect(receiptsOf(body)).toEqual({
      version: 1,
      id: body.id,
      ...receiptsContext.domain,
      modelId,
      sessionId,
      promptTokenIds: seen[0]!.promptIds,
      completionTokenIds: replyTokens,
      replayedTokens: 0,
      text: reply,
      receipts: [signed],
    });
  });

  test("a stream names its receipts in its headers up front and carries the bundle on its last chunk", async () => {
    for (const includeUsage of [true, false]) {
      const response = await post("/v1/completions", {
        model: "tiny",
        prompt: "Hi",
        max_tokens: 40,
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      const chunks = events(await response.text())
        .slice(0, -1)
        .map((d) => JSON.parse(d));
      const last = chunks.at(-1);
      expect(response.headers.get("teetee-receipts")).toBe(`/v1/receipts/${last.id}`);
      expect(chunks.slice(0, -1).some((c) => "teetee" in c)).toBe(false);
      const bundle = receiptsOf(last);
      expect(bundle.text).toBe(
        chunks.flatMap((c) => c.choices.map((x: { text: string }) => x.text)).join(""),
      );
      expect(bundle.completionTokenIds).toEqual(replyTokens);
    }
  });

  test("GET /v1/receipts/:id answers the bundle to its buyer, 404 to another buyer and for an unknown id", async () => {
    const body = await json(await post("/v1/chat/completions", chat));
    const fetched = await fetch(`${base}/v1/receipts/${body.id}`, {
      headers: { authorization: "Bearer tt_x" },
    });
    expect(fetched.status).toBe(200);
    expect(await json(fetched)).toEqual(body.teetee.receipts);
    authenticate = async () => ({
      ...caller,
      apiKey: { buyer: "0x4444444444444444444444444444444444444444" } as unknown as Caller["apiKey"],
    });
    const other = await fetch(`${base}/v1/receipts/${body.id}`, {
      headers: { authorization: "Bearer tt_y" },
    });
    expect(other.status).toBe(404);
    expect((await json(other)).error.code).toBe("receipts_not_found");
    const unknown = await fetch(`${base}/v1/receipts/chatcmpl-nope`);
    expect(unknown.status).toBe(404);
    authenticate = async () => {
      throw new AuthenticationError("No API key");
    };
    const anonymous = await fetch(`${base}/v1/receipts/${body.id}`);
    expect(anonymous.status).toBe(401);
  });

  test("a bundle with a receipt dated more than RECEIPT_CLOCK_SKEW_SECONDS ahead of the chain is withheld, counted and logged; the answer still goes out", async () => {
    const withheld = async () =>
      (await metrics.registry.getSingleMetric("teetee_gateway_receipts_withheld_total")!.get()).values[0]
        ?.value ?? 0;
    const before = await withheld();
    chainNow = 1_800_000_000n - RECEIPT_CLOCK_SKEW_SECONDS;
    expect((await json(await post("/v1/chat/completions", chat))).teetee.receipts).toBeDefined();
    expect(await withheld()).toBe(before);
    chainNow -= 1n;
    const response = await post("/v1/chat/completions", chat);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.choices[0].message.content).toBe(reply);
    expect(body.teetee.receipts).toBeUndefined();
    expect(body.teetee.receipts_error).toMatch(
      /withheld: shard 0's receipt is dated 301 s after the latest block/,
    );
    expect(await withheld()).toBe(before + 1);
    expect(JSON.stringify(warnings)).toMatch(/receipt bundle withheld/);
  });

  test("a request that fails for good: its final route's partial chain is stored beside the error, marked incomplete", async () => {
    const delivered = replyTokens.slice(0, 3);
    generate = async (p) => {
      p.onRoute?.([runner]);
      for (const token of delivered) p.onToken?.(token);
      throw new NoCapacityError("The request failed on 2 routes.", {
        details: "Runner 0x12 (shard 1) refused: unreachable",
        receipts: { sessionId, replayedTokens: 1, receipts: [signed] },
      });
    };
    const response = await post("/v1/chat/completions", chat);
    expect(response.status).toBe(503);
    const path = response.headers.get("teetee-receipts");
    expect(path).toMatch(/^\/v1\/receipts\/chatcmpl-/);
    const fetched = await fetch(`${base}${path}`, { headers: { authorization: "Bearer tt_x" } });
    expect(fetched.status).toBe(200);
    const bundle = parseReceiptBundle(await json(fetched));
    expect(bundle).toMatchObject({
      sessionId,
      completionTokenIds: delivered,
      replayedTokens: 1,
      text: tokenizer.decode(delivered),
      receipts: [signed],
      incomplete: { error: expect.stringMatching(/failed on 2 routes.*shard 1\) refused: unreachable/s) },
    });
  });

  test("a route that cannot sign does not break the answer: the bundle is absent with the reason, also on GET", async () => {
    routeReceipts = () => ({
      sessionId,
      replayedTokens: 0,
      error: "Runner 0x12 (shard 1) refused: timed out",
    });
    const response = await post("/v1/chat/completions", chat);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.choices[0].message.content).toBe(reply);
    expect(body.teetee.receipts).toBeUndefined();
    expect(body.teetee.receipts_error).toMatch(/shard 1\) refused/);
    const fetched = await fetch(`${base}/v1/receipts/${body.id}`, {
      headers: { authorization: "Bearer tt_x" },
    });
    expect(fetched.status).toBe(404);
    expect((await json(fetched)).error).toMatchObject({
      code: "receipts_unavailable",
      message: expect.stringMatching(/timed out/),
    });
  });
});

describe("POST /v1/completions", () => {
  test("answers a text_completion from a string or token-id prompt, 16 tokens by default", async () => {
    const long = tokenizer.encode(
      "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen",
      {
        addSpecialTokens: false,
      },
    );
    generate = scripted(long);
    const body = await json(await post("/v1/completions", { model: "tiny", prompt: "Count:" }));
    expect(body).toMatchObject({
      object: "text_completion",
      choices: [{ index: 0, finish_reason: "length", logprobs: null }],
    });
    expect(body.usage.completion_tokens).toBe(16);
    expect(body.choices[0].text).toBe(tokenizer.decode(long.slice(0, 16)));
    await post("/v1/completions", { model: modelId, prompt: [1, 2, 3], max_tokens: 2 });
    expect(seen.at(-1)!.promptIds).toEqual([1, 2, 3]);
  });

  test("streams text_completion chunks", async () => {
    const data = events(
      await (
        await post("/v1/completions", {
          model: "tiny",
          prompt: "Hi",
          max_tokens: 40,
          stream: true,
          stream_options: { include_usage: true },
        })
      ).text(),
    );
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === "text_completion")).toBe(true);
    expect(chunks.flatMap((c) => c.choices.map((x: { text: string }) => x.text)).join("")).toBe(reply);
    expect(chunks.at(-1).usage.completion_tokens).toBe(replyTokens.length);
  });

  test.each([
    [{ model: "tiny", prompt: "x", echo: true }, "echo"],
    [{ model: "tiny", prompt: ["a", "b"] }, "prompt"],
    [{ model: "tiny", prompt: "x", best_of: 2 }, "best_of"],
    [{ model: "tiny", prompt: "x", suffix: "y" }, "suffix"],
  ])("refuses unsupported %j", async (body, param) => {
    const response = await post("/v1/completions", body);
    expect(response.status).toBe(400);
    expect((await json(response)).error.param).toBe(param);
  });
});

describe("GET /v1/models", () => {
  test("lists models with a complete attested route, and hides them otherwise", async () => {
    const body = await json(await fetch(`${base}/v1/models`));
    expect(body).toMatchObject({
      object: "list",
      data: [
        { id: "tiny", object: "model", teetee: { model_id: modelId, shards: 1, runners: [[runner.runner]] } },
      ],
    });
    routable = false;
    expect((await json(await fetch(`${base}/v1/models`))).data).toEqual([]);
  });

  test("a replica that failed its health check is not listed while it is down", async () => {
    const dead: RunnerState = {
      ...runner,
      runner: "0x4444444444444444444444444444444444444444",
      downUntil: Date.now() + 60_000,
    };
    poolRunners = [runner, dead];
    const body = await json(await fetch(`${base}/v1/models`));
    expect(body.data[0].teetee.runners).toEqual([[runner.runner]]);
  });

  test("GET /v1/models/{id} answers the model (the OpenAI client's models.retrieve), 404 when not served now", async () => {
    const found = await fetch(`${base}/v1/models/tiny`);
    expect(found.status).toBe(200);
    expect(await json(found)).toMatchObject({ id: "tiny", object: "model", teetee: { model_id: modelId } });
    const unknown = await fetch(`${base}/v1/models/gpt-4o`);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatchObject({ code: "model_not_found", param: "model" });
    routable = false;
    expect((await fetch(`${base}/v1/models/tiny`)).status).toBe(404);
  });

  test("GET /v1/models/{model}/manifest and /files/{file} serve what checks an answer's text against the model id", async () => {
    for (const name of ["sharded", sharded.modelId, sharded.modelId.toUpperCase().replace("0X", "0x")]) {
      const response = await fetch(`${base}/v1/models/${name}/manifest`);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(modelIdOf(await json(response))).toBe(sharded.modelId);
    }
    const manifest = await json(await fetch(`${base}/v1/models/sharded/manifest`));
    const files: Record<string, Uint8Array> = {};
    for (const file of sharded.manifest.tokenizer.files) {
      const response = await fetch(`${base}/v1/models/${sharded.modelId}/files/${file.path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("etag")).toBe(`"${file.sha256}"`);
      files[file.path] = new Uint8Array(await response.arrayBuffer());
      expect(Buffer.from(files[file.path]!)).toEqual(readFileSync(join(sharded.dir, file.path)));
    }
    const tokenizer = tokenizerFromModelFiles({ modelId: sharded.modelId, manifest, files });
    const ids = sharded.tokenizer.encode(reply, { addSpecialTokens: false });
    expect(tokenizer.decode(ids)).toBe(reply);
  });

  test.each([
    [
      "a file the manifest lists as a shard's weights",
      (m: ServedModel) => m.manifest.shards[0]!.graph,
      "file_not_found",
    ],
    ["the manifest itself", () => "manifest.json", "file_not_found"],
    ["a path out of the folder", () => "..%2F..%2Fpackage.json", "file_not_found"],
    ["a dotfile", () => ".env", "file_not_found"],
  ])("GET /v1/models/{model}/files/{file} is 404 for %s", async (_what, fileOf, code) => {
    const response = await fetch(`${base}/v1/models/sharded/files/${fileOf(sharded)}`);
    expect(response.status).toBe(404);
    expect((await json(response)).error).toMatchObject({ code });
  });

  test("an unknown model's manifest and files are 404 model_not_found", async () => {
    for (const path of ["/v1/models/gpt-4o/manifest", "/v1/models/gpt-4o/files/tokenizer.json"]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(404);
      expect((await json(response)).error).toMatchObject({ code: "model_not_found" });
    }
  });

  test("/healthz is liveness; /readyz is 503 while no model has a complete route", async () => {
    expect(await json(await fetch(`${base}/readyz`))).toEqual({ status: "ready", models: 1 });
    routable = false;
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await json(live)).toEqual({ status: "live" });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await json(ready)).toEqual({ status: "not ready", models: 0 });
  });

  test("unknown endpoints answer in OpenAI's error shape", async () => {
    const response = await fetch(`${base}/v1/embeddings`, { method: "POST" });
    expect(response.status).toBe(404);
    expect((await json(response)).error.code).toBe("unknown_url");
  });
});
