import { decodePaymentTicket, formatApiKey, parseApiKey } from "@teetee/sdk/payments";
import { PartialReceiptsError, RunnerUnreachableError } from "@teetee/sdk/pipeline";
import type { SignedReceipt } from "@teetee/sdk/receipts";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { NoCapacityError } from "./errors.js";
import { type CreatePipeline, Generator } from "./Generator.js";
import { PaymentSessionPool } from "./PaymentSessionPool.js";
import type { RunnerPool } from "./RunnerPool.js";
import { testModelId, testRunner } from "./testFixtures.js";

const modelId = testModelId;
const buyerKey = generatePrivateKey();
const apiKey = parseApiKey(
  formatApiKey({ buyer: privateKeyToAccount(buyerKey).address, sessionPrivateKey: generatePrivateKey() }),
);

/** The one route there is, whatever was excluded: a runner that timed out once is healthy again at once. */
const route = [testRunner()];
const pool = {
  takeRoute: async () => ({ route, release: () => undefined }),
  observeLatency: () => undefined,
  markDown: () => undefined,
  checkHealth: async () => true,
} as unknown as RunnerPool;

/** Each request's channel, read from the request ticket its first frame carries. */
const channels: { sessionId: Hex; amount: bigint }[] = [];
let failDecodes = 0;
let failReceipts = false;
/** Shard 0's receipt a failed route still answers (its runners' signatures are the runner tests' concern). */
const shard0Receipt = { receipt: { shardIndex: 0 }, signature: "0x01" } as unknown as SignedReceipt;
/** What each pipeline was asked, in order. */
const calls: string[] = [];

const createPipeline: CreatePipeline = (params) => ({
  prefill: async () => {
    const ticket = decodePaymentTicket(params.voucher!()!);
    channels.push({ sessionId: ticket.voucher.sessionId, amount: ticket.voucher.amount });
    return { tokenId: 7 } as never;
  },
  decode: async () => {
    calls.push("decode");
    if (failDecodes > 0) {
      failDecodes--;
      throw new RunnerUnreachableError("Runner timed out", { status: 504 });
    }
    return { tokenId: 8 } as never;
  },
  receipts: async () => {
    calls.push("receipts");
    if (failReceipts) throw new RunnerUnreachableError("Runner timed out", { status: 504 });
    if (failDecodes > 0) throw new PartialReceiptsError([shard0Receipt], 2, { status: 502 });
    return [];
  },
  close: async () => {
    calls.push("close");
  },
});

function generator() {
  return new Generator({
    pool,
    payments: new PaymentSessionPool({
      chainId: 31337,
      paymentEscrow: "0x9999999999999999999999999999999999999999",
    }),
    maxFailovers: 1,
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
  maxTokens: 4,
  sampling: { temperature: 0, topK: 0, topP: 1, seed: 1 },
  stopTokenIds: [],
};

beforeEach(() => {
  channels.length = 0;
  failDecodes = 0;
  failReceipts = false;
  calls.length = 0;
});

describe("Generator's payment channels", () => {
  test("a completed request's channel is reused, its voucher covering the requests before", async () => {
    const g = generator();
    await g.generate(request);
    await g.generate(request);
    expect(channels[1]!.sessionId).toBe(channels[0]!.sessionId);
    expect(channels[1]!.amount).toBeGreaterThan(channels[0]!.amount);
  });

  test("a channel whose request was abandoned mid-route is never used again", async () => {
    // The runners of the abandoned attempt measured its tokens but get no voucher for them; were the channel
    // reused, a runner that saw the next request before the abandoned one's drop would count the abandoned
    // request as completed, find the next voucher short of it, and refuse the buyer (402) on that channel for good.
    const g = generator();
    failDecodes = 1;
    const first = await g.generate(request);
    expect(first.attempts).toHaveLength(2);
    await g.generate(request);
    const [abandoned, failover, next] = channels;
    expect(failover!.sessionId).not.toBe(abandoned!.sessionId);
    expect(next!.sessionId).not.toBe(abandoned!.sessionId);
    // The failover's channel completed, so the next request continues it.
    expect(next!.sessionId).toBe(failover!.sessionId);
  });
});

describe("Generator's receipts", () => {
  test("come from the route that completed the request, which names the completion tokens it replayed", async () => {
    failDecodes = 1;
    const result = await generator().generate(request);
    expect(result.attempts).toHaveLength(2);
    // The first route gave one token before its decode failed: the second was fed it as context.
    expect(result.receipts).toMatchObject({ receipts: [], replayedTokens: 1 });
    expect(result.receipts.sessionId).toMatch(/^0x[0-9a-f]{32}$/);
  });

  test("a route that cannot sign does not fail the answer: the result says why they are missing", async () => {
    failReceipts = true;
    const result = await generator().generate(request);
    expect(result.tokens).toHaveLength(4);
    expect(result.attempts).toHaveLength(1);
    expect(result.receipts).toMatchObject({ replayedTokens: 0, error: expect.stringMatching(/timed out/) });
    expect("receipts" in result.receipts).toBe(false);
  });

  test("a request that fails for good carries the final route's partial chain; each failed route is asked before its drop", async () => {
    failDecodes = 100;
    const error = await generator()
      .generate(request)
      .then(
        () => undefined,
        (e: unknown) => e as NoCapacityError,
      );
    expect(error).toBeInstanceOf(NoCapacityError);
    expect(error!.receipts).toEqual({
      sessionId: expect.stringMatching(/^0x[0-9a-f]{32}$/),
      replayedTokens: 1,
      receipts: [shard0Receipt],
    });
    expect(calls.filter((c) => c !== "decode")).toEqual(["receipts", "close", "receipts", "close"]);
  });
});
