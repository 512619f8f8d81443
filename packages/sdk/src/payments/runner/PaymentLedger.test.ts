import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { RouteAllocation, SessionSigner } from "../../contracts/types.js";
import { allocationId } from "../../contracts/voucher/allocationId.js";
import { type ApiKey, formatApiKey, parseApiKey } from "../apiKey.js";
import { PaymentError, type PaymentErrorCode } from "../errors.js";
import type { PaymentChainReader } from "../PaymentChainReader.js";
import { PaymentSession } from "../PaymentSession.js";
import { encodePaymentTicket, type PaymentTicket, requestIdOf } from "../paymentTicket.js";
import { costOfCounts } from "../tokenCounts.js";
import { PaymentLedger } from "./PaymentLedger.js";
import { VoucherStore } from "./VoucherStore.js";

const chainId = 31337;
const paymentEscrow = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;
const modelId = keccak256(toHex("model"));
const prices = { inputPricePerMTok: 2_000_000n, outputPricePerMTok: 6_000_000n };
const route = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey()).address);
const NOW = 1_800_000_000_000;
const nowSeconds = BigInt(NOW / 1000);

/** Fixed on-chain facts a test can change: the ledger's chain reads, isolated. */
class FakeChain implements PaymentChainReader {
  /** Every route's allocation unless set here by id. */
  allocation: RouteAllocation = { amount: 10n ** 9n, releasing: 0n, releaseEnd: 0n };
  allocations = new Map<Hex, RouteAllocation>();
  signers = new Map<string, SessionSigner>();
  revoked = new Set<string>();
  contributors = new Set<string>();
  async routeAllocation(buyer: Address, modelIdOfRoute: Hex, hops: readonly Address[]) {
    return (
      this.allocations.get(allocationId({ buyer, modelId: modelIdOfRoute, route: hops })) ?? this.allocation
    );
  }
  async sessionSigner(buyer: Address, signer: Address) {
    return (
      this.signers.get(`${buyer}:${signer}`) ?? {
        spendLimit: 0n,
        spent: 0n,
        validUntil: 0n,
        pendingLimitFrom: 0n,
        pendingLimit: 0n,
      }
    );
  }
  async isSignerRevoked(buyer: Address, signer: Address) {
    return this.revoked.has(`${buyer}:${signer}`);
  }
  async isActiveContributor(_modelId: Hex, account: Address) {
    return this.contributors.has(account);
  }
  async channelPaid() {
    return 0n;
  }
  async modelPrices() {
    return { ...prices, active: true };
  }
  authorize(key: ApiKey, spendLimit = 10n ** 8n, validUntil = nowSeconds + 86_400n, pendingLimit?: bigint) {
    this.signers.set(`${key.buyer}:${key.signer.address}`, {
      spendLimit,
      spent: 0n,
      validUntil,
      pendingLimitFrom: pendingLimit === undefined ? 0n : nowSeconds + 86_400n,
      pendingLimit: pendingLimit ?? 0n,
    });
  }
}

let dir: string;
let store: VoucherStore;
let chain: FakeChain;
let key: ApiKey;

function newKey(): ApiKey {
  return parseApiKey(
    formatApiKey({
      buyer: privateKeyToAccount(generatePrivateKey()).address,
      sessionPrivateKey: generatePrivateKey(),
    }),
  );
}

function ledger(shardIndex = 1, overrides: Partial<ConstructorParameters<typeof PaymentLedger>[0]> = {}) {
  return new PaymentLedger({
    runner: route[shardIndex]!,
    modelId,
    shardIndex,
    shardCount: 3,
    chainId,
    paymentEscrow,
    reader: chain,
    store,
    now: () => NOW,
    ...overrides,
  });
}

function session(apiKey = key, sessionId?: Hex) {
  return new PaymentSession({
    apiKey,
    chainId,
    paymentEscrow,
    modelId,
    route,
    prices,
    ...(sessionId ? { sessionId } : {}),
  });
}

let requestCounter = 0;
function newRequestId(): Hex {
  requestCounter += 1;
  return requestIdOf(toHex(requestCounter, { size: 16 }));
}

/** Serves one request end to end on the ledger: prompt, `generated` tokens, settle. */
async function serve(l: PaymentLedger, s: PaymentSession, prompt: number, generated: number) {
  const requestId = newRequestId();
  await l.admit(await s.requestTicket({ requestId, maxOutputTokens: generated }), { promptTokens: prompt });
  l.recordFrame(requestId, { kind: "prefill", positionCount: prompt });
  for (let i = 1; i < generated; i++) l.recordFrame(requestId, { kind: "decode", positionCount: 1 });
  return l.settle(
    await s.complete(requestId, { inputTokens: BigInt(prompt), outputTokens: BigInt(generated) }),
  );
}

async function expectRefusal(promise: Promise<unknown>, code: PaymentErrorCode): Promise<PaymentError> {
  let failure: unknown;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  expect(failure instanceof PaymentError ? failure.code : failure).toBe(code);
  return failure as PaymentError;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ledger-"));
  store = VoucherStore.open(path.join(dir, "vouchers.sqlite"));
  chain = new FakeChain();
  key = newKey();
  chain.authorize(key);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("PaymentLedger", () => {
  test("admits, measures and settles requests; the stored voucher covers exactly the measured cost", async () => {
    const l = ledger();
    const s = session();
    await serve(l, s, 12, 5);
    const result = await serve(l, s, 30, 8);
    const expected = costOfCounts({ inputTokens: 42n, outputTokens: 13n }, prices);
    expect(result).toEqual({ channelId: s.channelId, amount: expected, owed: expected });
    expect(store.get(s.channelId)?.voucher.amount).toBe(expected);
    expect(l.openRequests).toBe(0);
  });

  test("authorizeFrame drives a request from its wire frames and settles on drop", async () => {
    const l = ledger(0);
    const s = session();
    const sessionId = crypto.getRandomValues(new Uint8Array(16));
    const requestId = requestIdOf(sessionId);
    const voucher = encodePaymentTicket(await s.requestTicket({ requestId, maxOutputTokens: 4 }));
    await l.authorizeFrame({ kind: "prefill", sessionId, positionCount: 7, voucher });
    await l.authorizeFrame({ kind: "decode", sessionId, positionCount: 1, voucher });
    expect(l.usage(requestId)).toEqual({ inputTokens: 7n, outputTokens: 2n });
    const settle = encodePaymentTicket(await s.complete(requestId, { inputTokens: 7n, outputTokens: 2n }));
    await l.authorizeFrame({ kind: "drop", sessionId, positionCount: 0, voucher: settle });
    expect(store.get(s.channelId)?.voucher.amount).toBe(
      costOfCounts({ inputTokens: 7n, outputTokens: 2n }, prices),
    );
    await expectRefusal(
      l.authorizeFrame({
        kind: "decode",
        sessionId: new Uint8Array(16),
        positionCount: 1,
        voucher: new Uint8Array(),
      }),
      "payment_required",
    );
  });

  test("refuses a malformed API key", () => {
    expect(() => parseApiKey("sk-123")).toThrow(/malformed/);
  });

  test("refuses an unauthorised key", async () => {
    const stranger = newKey();
    await expectRefusal(
      ledger().admit(
        await session(stranger).requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 }),
        {
          promptTokens: 1,
        },
      ),
      "signer_not_authorized",
    );
  });

  test("refuses an expired key, and one expiring before a voucher could settle", async () => {
    chain.authorize(key, 10n ** 8n, nowSeconds - 1n);
    const ticket = await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 });
    await expectRefusal(ledger().admit(ticket, { promptTokens: 1 }), "signer_expired");
    chain.authorize(key, 10n ** 8n, nowSeconds + 60n);
    await expectRefusal(ledger().admit(ticket, { promptTokens: 1 }), "signer_expired");
  });

  test("refuses a revoked key", async () => {
    chain.revoked.add(`${key.buyer}:${key.signer.address}`);
    const ticket = await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 });
    await expectRefusal(ledger().admit(ticket, { promptTokens: 1 }), "signer_revoked");
  });

  test("refuses a key whose spend limit the request could exceed", async () => {
    const max = costOfCounts({ inputTokens: 100n, outputTokens: 100n }, prices);
    chain.authorize(key, max);
    const ticket = await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 100 });
    await expectRefusal(ledger().admit(ticket, { promptTokens: 100 }), "signer_limit_exceeded");
    chain.authorize(key, max + 1n);
    await expect(ledger().admit(ticket, { promptTokens: 100 })).resolves.toMatchObject({ free: false });
  });

  test("counts a pending cut of a key's limit at once, though the chain applies it only after the thaw", async () => {
    const max = costOfCounts({ inputTokens: 100n, outputTokens: 100n }, prices);
    chain.authorize(key, 10n * max, nowSeconds + 86_400n, max);
    const ticket = await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 100 });
    await expectRefusal(ledger().admit(ticket, { promptTokens: 100 }), "signer_limit_exceeded");
  });

  test("refuses a route that names one runner twice", async () => {
    const twice = new PaymentSession({
      apiKey: key,
      chainId,
      paymentEscrow,
      modelId,
      route: [route[1]!, route[1]!, route[2]!],
      prices,
    });
    await expectRefusal(
      ledger(1).admit(await twice.requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 }), {
        promptTokens: 1,
      }),
      "wrong_route",
    );
  });

  test("refuses a tampered voucher", async () => {
    const ticket = await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 });
    const tampered: PaymentTicket = {
      ...ticket,
      voucher: { ...ticket.voucher, sessionId: keccak256("0x01") },
    };
    await expectRefusal(ledger().admit(tampered, { promptTokens: 1 }), "bad_signature");
  });

  test("refuses a voucher signed for another chain or escrow", async () => {
    const foreign = new PaymentSession({ apiKey: key, chainId: 1, paymentEscrow, modelId, route, prices });
    const ticket = await foreign.requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 });
    await expectRefusal(ledger().admit(ticket, { promptTokens: 1 }), "wrong_domain");
    await expectRefusal(ledger().admit({ ...ticket, chainId }, { promptTokens: 1 }), "bad_signature");
  });

  test("refuses a voucher for another model or a route without this runner", async () => {
    const other = new PaymentSession({
      apiKey: key,
      chainId,
      paymentEscrow,
      modelId: keccak256("0x02"),
      route,
      prices,
    });
    await expectRefusal(
      ledger().admit(await other.requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 }), {
        promptTokens: 1,
      }),
      "wrong_model",
    );
    const swapped = new PaymentSession({
      apiKey: key,
      chainId,
      paymentEscrow,
      modelId,
      route: [...route].reverse(),
      prices,
    });
    await expectRefusal(
      ledger(0).admit(await swapped.requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 }), {
        promptTokens: 1,
      }),
      "wrong_route",
    );
  });

  test("refuses a replayed request id", async () => {
    const l = ledger();
    const ticket = await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 });
    await l.admit(ticket, { promptTokens: 1 });
    await expectRefusal(l.admit(ticket, { promptTokens: 1 }), "voucher_replayed");
  });

  test("refuses a voucher lower than one already received", async () => {
    const l = ledger();
    const s = session();
    const stale = await s.requestTicket({ requestId: newRequestId(), maxOutputTokens: 3 });
    await serve(l, s, 10, 3);
    await expectRefusal(
      l.admit({ ...stale, requestId: newRequestId() }, { promptTokens: 1 }),
      "voucher_not_increasing",
    );
  });

  test("refuses the next request while a completed one is not covered, on any channel of the buyer", async () => {
    const l = ledger();
    const s = session();
    const first = newRequestId();
    const opening = await s.requestTicket({ requestId: first, maxOutputTokens: 4 });
    await l.admit(opening, { promptTokens: 10 });
    l.recordFrame(first, { kind: "prefill", positionCount: 10 });
    // The gateway starts the next request with the same voucher, never having paid for the first.
    await expectRefusal(
      l.admit({ ...opening, requestId: newRequestId() }, { promptTokens: 1 }),
      "voucher_insufficient",
    );
    // A settle that under-reports is refused, and blocks the buyer on another channel too.
    const cheat = session(key);
    const cheatFirst = newRequestId();
    await l.admit(await cheat.requestTicket({ requestId: cheatFirst, maxOutputTokens: 4 }), {
      promptTokens: 1,
    });
    l.recordFrame(cheatFirst, { kind: "prefill", positionCount: 500 });
    await expectRefusal(
      l.settle(await cheat.complete(cheatFirst, { inputTokens: 1n, outputTokens: 1n })),
      "voucher_insufficient",
    );
    await expectRefusal(
      l.admit(await session(key).requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 }), {
        promptTokens: 1,
      }),
      "voucher_insufficient",
    );
  });

  test("refuses a buyer whose route allocation does not cover unredeemed plus this request", async () => {
    const l = ledger();
    const s = session();
    await serve(l, s, 100, 100);
    const owed = costOfCounts({ inputTokens: 100n, outputTokens: 100n }, prices);
    const next = costOfCounts({ inputTokens: 100n, outputTokens: 100n }, prices) + 1n;
    chain.allocation = { amount: owed + next - 1n, releasing: 0n, releaseEnd: 0n };
    const ticket = await s.requestTicket({ requestId: newRequestId(), maxOutputTokens: 100 });
    await expectRefusal(l.admit(ticket, { promptTokens: 100 }), "insufficient_balance");
    chain.allocation = { amount: owed + next, releasing: 0n, releaseEnd: 0n };
    await expect(l.admit(ticket, { promptTokens: 100 })).resolves.toMatchObject({ maxCost: next });
  });

  test("selfDealingRoute: counts only this route's allocation, never the balance another route can spend first", async () => {
    const l = ledger();
    const s = session();
    // Whatever the buyer's unallocated balance (vouchers of any route, its own too, may spend it first), a route
    // with nothing allocated is refused.
    chain.allocations.set(allocationId({ buyer: key.buyer, modelId, route }), {
      amount: 0n,
      releasing: 0n,
      releaseEnd: 0n,
    });
    const ticket = await s.requestTicket({ requestId: newRequestId(), maxOutputTokens: 10 });
    await expectRefusal(l.admit(ticket, { promptTokens: 10 }), "insufficient_balance");
    const maxCost = costOfCounts({ inputTokens: 10n, outputTokens: 10n }, prices) + 1n;
    chain.allocations.set(allocationId({ buyer: key.buyer, modelId, route }), {
      amount: maxCost,
      releasing: 0n,
      releaseEnd: 0n,
    });
    await expect(l.admit(ticket, { promptTokens: 10 })).resolves.toMatchObject({ maxCost });
  });

  test("a release the buyer requested no longer counts, and the voucher must settle before it ends", async () => {
    const l = ledger();
    const s = session();
    const id = allocationId({ buyer: key.buyer, modelId, route });
    const releaseEnd = nowSeconds + 3_600n;
    chain.allocations.set(id, { amount: 10n ** 9n, releasing: 10n ** 9n, releaseEnd });
    const ticket = await s.requestTicket({ requestId: newRequestId(), maxOutputTokens: 10 });
    await expectRefusal(l.admit(ticket, { promptTokens: 10 }), "insufficient_balance");
    chain.allocations.set(id, { amount: 10n ** 9n, releasing: 1n, releaseEnd });
    const admission = await l.admit(ticket, { promptTokens: 10 });
    expect(store.get(admission.channelId)?.deadline).toBe(Number(releaseEnd));
  });

  test("vouchers of the buyer's other routes do not count against this route's allocation", async () => {
    const here = ledger(1);
    const other = [route[0]!, route[1]!, privateKeyToAccount(generatePrivateKey()).address];
    const otherSession = new PaymentSession({
      apiKey: key,
      chainId,
      paymentEscrow,
      modelId,
      route: other,
      prices,
    });
    await serve(here, otherSession, 100, 100);
    const maxCost = costOfCounts({ inputTokens: 10n, outputTokens: 10n }, prices) + 1n;
    chain.allocations.set(allocationId({ buyer: key.buyer, modelId, route }), {
      amount: maxCost,
      releasing: 0n,
      releaseEnd: 0n,
    });
    const ticket = await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 10 });
    await expect(here.admit(ticket, { promptTokens: 10 })).resolves.toMatchObject({ maxCost });
  });

  test("lets an active contributor use the model free of charge with its own key", async () => {
    const contributor = privateKeyToAccount(generatePrivateKey());
    const own = parseApiKey(
      formatApiKey({ buyer: contributor.address, sessionPrivateKey: generatePrivateKey() }),
    );
    chain.authorize(own);
    chain.contributors.add(contributor.address);
    chain.allocation = { amount: 0n, releasing: 0n, releaseEnd: 0n };
    const l = ledger();
    const admission = await l.admit(
      await session(own).requestTicket({ requestId: newRequestId(), maxOutputTokens: 9 }),
      {
        promptTokens: 9,
      },
    );
    expect(admission).toMatchObject({ free: true, maxCost: 0n });
    expect(store.unredeemed()).toEqual([]);
  });

  test("a failover's replayed tokens are charged as output, never below what was measured", async () => {
    const l = ledger();
    const s = session();
    const requestId = newRequestId();
    // 10 prompt tokens; 3 were generated on a failed route and are replayed as context; 4 more generated here.
    await l.admit(await s.requestTicket({ requestId, maxOutputTokens: 7, replayedOutputTokens: 3 }), {
      promptTokens: 13,
    });
    l.recordFrame(requestId, { kind: "prefill", positionCount: 13 });
    for (let i = 1; i < 4; i++) l.recordFrame(requestId, { kind: "decode", positionCount: 1 });
    const result = await l.settle(
      await s.complete(requestId, { inputTokens: 10n, outputTokens: 7n, replayedOutputTokens: 3n }),
    );
    // Output costs more than input here, so the declared split is the higher one and the buyer pays it once.
    expect(result.amount).toBe(costOfCounts({ inputTokens: 10n, outputTokens: 7n }, prices));
    expect(result.owed).toBe(costOfCounts({ inputTokens: 13n, outputTokens: 4n }, prices));
  });

  test("burstLockout: a burst over the concurrency limit never locks a solvent buyer out once it is over", async () => {
    let now = NOW;
    const l = ledger(1, { now: () => now });
    const admitted: Hex[] = [];
    for (let i = 0; i < 8; i++) {
      const requestId = newRequestId();
      await l.admit(await session().requestTicket({ requestId, maxOutputTokens: 1 }), { promptTokens: 1 });
      admitted.push(requestId);
    }
    const refusal = await expectRefusal(
      l.admit(await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 }), {
        promptTokens: 1,
      }),
      "too_many_open_requests",
    );
    // Over the concurrency limit is a "wait a moment", not a payment problem.
    expect(refusal.retryAfterSeconds).toBe(1);
    // The gateway gave up on the burst: every admitted request is abandoned, none can settle.
    for (const requestId of admitted) l.abandon(requestId);
    expect(l.openRequests).toBe(0);
    now += 10 * 60_000;
    // Minutes later, with nothing open, the buyer is served again, even with the same key.
    await serve(l, session(), 2, 1);
  });

  test("abandoned requests are credit, up to a limit per buyer, and the refusal says when the oldest expires", async () => {
    let now = NOW;
    const l = ledger(1, { maxAbandonedPerBuyer: 2, abandonedExpirySeconds: 120, now: () => now });
    for (let i = 0; i < 2; i++) {
      const requestId = newRequestId();
      await l.admit(await session().requestTicket({ requestId, maxOutputTokens: 1 }), { promptTokens: 1 });
      l.abandon(requestId);
      now += 10_000;
    }
    const refusal = await expectRefusal(
      l.admit(await session().requestTicket({ requestId: newRequestId(), maxOutputTokens: 1 }), {
        promptTokens: 1,
      }),
      "too_many_open_requests",
    );
    // The first was abandoned 20 s ago and counts for 120 s: 100 s to go.
    expect(refusal.retryAfterSeconds).toBe(100);
    now += 100_000;
    await serve(l, session(), 2, 1);
  });
});
