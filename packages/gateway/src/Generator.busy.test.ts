import { decodePaymentTicket, formatApiKey, parseApiKey } from "@teetee/sdk/payments";
import { type RouteRunner, RunnerRefusedError, type VerifiedRunner } from "@teetee/sdk/pipeline";
import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { ModelListing } from "./ChainDirectory.js";
import { NoCapacityError } from "./errors.js";
import { type CreatePipeline, Generator } from "./Generator.js";
import { PaymentSessionPool } from "./PaymentSessionPool.js";
import { RunnerPool } from "./RunnerPool.js";
import { testModelId } from "./testFixtures.js";
import { toOpenAIError } from "./toOpenAIError.js";

const modelId = testModelId;
const full = "0x000000000000000000000000000000000000000a" as Address;
const replica = "0x000000000000000000000000000000000000000b" as Address;
const apiKey = parseApiKey(
  formatApiKey({
    buyer: privateKeyToAccount(generatePrivateKey()).address,
    sessionPrivateKey: generatePrivateKey(),
  }),
);

function listing(runners: Address[]): Map<Hex, ModelListing> {
  const shard = runners.map((runner) => ({
    runner,
    info: {
      contributor: runner,
      shardIndex: 0,
      active: true,
      attestedAt: 0n,
      modelId,
      quoteHash: `0x${"01".repeat(32)}` as Hex,
      composeHash: `0x${"02".repeat(32)}` as Hex,
      osImage: `0x${"03".repeat(32)}` as Hex,
      lockedStake: 0n,
      registeredAt: 0n,
      endpoint: `http://127.0.0.1:1/${runner}`,
      publicKey: "0x02" as Hex,
    },
    backing: 0n,
    routable: true,
  }));
  return new Map([[modelId, { modelId, model: {} as ModelListing["model"], shards: [], runners: [shard] }]]);
}

let now = 1_000_000;
function pool(runners: Address[]): RunnerPool {
  const p = new RunnerPool({
    now: () => now,
    verify: async (runner: RouteRunner, expected): Promise<VerifiedRunner> => ({
      ...runner,
      ...expected,
      quoteHash: `0x${"01".repeat(32)}`,
      validUntil: now / 1000 + 1000,
    }),
  });
  p.sync(listing(runners));
  return p;
}

/** Every voucher each runner was sent, by kind: a runner is paid only by a settle voucher. */
const sent: { runner: Address; kind: string }[] = [];

/** The `full` runner answers its first frame 503 with Retry-After 7 (its batch is full); others serve. */
const createPipeline: CreatePipeline = (params) => {
  const runner = params.route[0]!.runner;
  const record = () => {
    const voucher = params.voucher?.();
    if (voucher !== undefined) sent.push({ runner, kind: decodePaymentTicket(voucher).kind });
  };
  return {
    prefill: async () => {
      record();
      if (runner === full)
        throw new RunnerRefusedError("Runner is full", { status: 503, hop: 0, retryAfterSeconds: 7 });
      return { tokenId: 7 } as never;
    },
    decode: async () => ({ tokenId: 8 }) as never,
    receipts: async () => [],
    close: async () => record(),
  };
};

function generator(p: RunnerPool) {
  return new Generator({
    pool: p,
    payments: new PaymentSessionPool({
      chainId: 31337,
      paymentEscrow: "0x9999999999999999999999999999999999999999",
    }),
    createPipeline,
  });
}

const request = {
  apiKey,
  free: false,
  modelId,
  shardCount: 1,
  prices: { inputPricePerMTok: 10n ** 12n, outputPricePerMTok: 10n ** 12n },
  promptIds: [1, 2, 3],
  maxTokens: 3,
  sampling: { temperature: 0, topK: 0, topP: 1, seed: 1 },
  stopTokenIds: [],
};

beforeEach(() => {
  sent.length = 0;
  now = 1_000_000;
});

describe("Generator with a full runner (503 + Retry-After)", () => {
  test("serves the request on a replica of the shard; the full runner is busy, not down, and is not paid", async () => {
    const p = pool([full, replica]);
    // The full runner is the one the pool prefers.
    p.observeLatency(replica, 1000);
    const result = await generator(p).generate(request);
    expect(result.tokens).toEqual([7, 8, 8]);
    expect(result.attempts.map((a) => a.route[0]!.runner)).toEqual([full, replica]);
    expect(p.get(full)!.downUntil).toBe(0);
    expect(p.get(full)!.busyUntil).toBe(now + 7000);
    expect(sent.filter((s) => s.runner === full).map((s) => s.kind)).toEqual(["request"]);
    expect(sent.filter((s) => s.runner === replica).map((s) => s.kind)).toEqual(["request", "settle"]);
    expect(result.cost).toBeGreaterThan(0n);
    // Busy until its Retry-After passes, then chosen again.
    expect((await p.chooseRoute(modelId, 1)).map((r) => r.runner)).toEqual([replica]);
    now += 7000;
    expect((await p.chooseRoute(modelId, 1)).map((r) => r.runner)).toEqual([full]);
  });

  test("with no replica the buyer gets 503 with Retry-After, and no runner gets a settle voucher", async () => {
    const p = pool([full]);
    const error = await generator(p)
      .generate(request)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(NoCapacityError);
    const answer = toOpenAIError(error);
    expect(answer.status).toBe(503);
    expect(answer.retryAfterSeconds).toBe(7);
    expect(sent.map((s) => s.kind)).toEqual(["request"]);
    expect(p.get(full)!.downUntil).toBe(0);
  });
});
