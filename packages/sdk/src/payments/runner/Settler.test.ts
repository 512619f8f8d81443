import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import { createPaymentMarket, type PaymentMarket } from "@teetee/devnet/market";
import { type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { getAllocation } from "../../contracts/paymentEscrow/getAllocation.js";
import { getEarnings } from "../../contracts/paymentEscrow/getEarnings.js";
import { getEscrowTreasuryBalance } from "../../contracts/paymentEscrow/getEscrowTreasuryBalance.js";
import { requestRelease } from "../../contracts/paymentEscrow/requestRelease.js";
import { revokeSigner } from "../../contracts/paymentEscrow/revokeSigner.js";
import { allocationId } from "../../contracts/voucher/allocationId.js";
import { PaymentError, type PaymentErrorCode } from "../errors.js";
import { createPaymentChainReader } from "../PaymentChainReader.js";
import { PaymentSession } from "../PaymentSession.js";
import { requestIdOf } from "../paymentTicket.js";
import { costOfCounts } from "../tokenCounts.js";
import { withRetry } from "../withRetry.js";
import { PaymentLedger } from "./PaymentLedger.js";
import { Settler } from "./Settler.js";
import { VoucherStore } from "./VoucherStore.js";

let local: LocalChain;
let market: PaymentMarket;
let dir: string;

beforeAll(async () => {
  local = await startLocalChain();
  market = await createPaymentMarket(local, { shardCount: 3 });
  dir = mkdtempSync(path.join(tmpdir(), "settler-"));
}, 120_000);

afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const prices = () => ({
  inputPricePerMTok: market.model.inputPricePerMTok,
  outputPricePerMTok: market.model.outputPricePerMTok,
});

function runnerSide(shardIndex: number, name: string) {
  const store = VoucherStore.open(path.join(dir, `${name}.sqlite`));
  const reader = createPaymentChainReader(market.publicClient, {
    contracts: market.deployment,
    fromBlock: BigInt(market.deployment.startBlock),
  });
  const ledger = new PaymentLedger({
    runner: market.route[shardIndex]!,
    modelId: market.model.modelId,
    shardIndex,
    shardCount: market.route.length,
    chainId: local.chainId,
    paymentEscrow: market.deployment.paymentEscrow,
    reader,
    store,
  });
  return { store, ledger };
}

function session(apiKey = market.apiKey) {
  return new PaymentSession({
    apiKey,
    chainId: local.chainId,
    paymentEscrow: market.deployment.paymentEscrow,
    modelId: market.model.modelId,
    route: market.route,
    prices: prices(),
  });
}

let counter = 0;
const nextRequestId = (): Hex => requestIdOf(toHex(++counter, { size: 16 }));

/** Serves a request on every runner of the route: the gateway sends each the same tickets. */
async function serve(
  sides: ReturnType<typeof runnerSide>[],
  s: PaymentSession,
  prompt: number,
  generated: number,
) {
  const requestId = nextRequestId();
  const opening = await s.requestTicket({ requestId, maxOutputTokens: generated });
  for (const { ledger } of sides) {
    await ledger.admit(opening, { promptTokens: prompt });
    ledger.recordFrame(requestId, { kind: "prefill", positionCount: prompt });
    for (let i = 1; i < generated; i++) ledger.recordFrame(requestId, { kind: "decode", positionCount: 1 });
  }
  const settle = await s.complete(requestId, {
    inputTokens: BigInt(prompt),
    outputTokens: BigInt(generated),
  });
  for (const { ledger } of sides) await ledger.settle(settle);
}

async function refusal(promise: Promise<unknown>): Promise<PaymentErrorCode | unknown> {
  try {
    await promise;
  } catch (error) {
    return error instanceof PaymentError ? error.code : error;
  }
  return "accepted";
}

describe("Settler on a local chain", () => {
  test("redeems the route's vouchers once: the buyer pays the exact cost, each contributor its share, the treasury the fee", async () => {
    const contracts = market.deployment;
    const sides = [0, 1, 2].map((i) => runnerSide(i, `settle-${i}`));
    const s1 = session();
    const s2 = session();
    await serve(sides, s1, 20, 5);
    await serve(sides, s1, 33, 7);
    await serve(sides, s2, 8, 64);
    const expected =
      costOfCounts({ inputTokens: 53n, outputTokens: 12n }, prices()) +
      costOfCounts({ inputTokens: 8n, outputTokens: 64n }, prices());

    const allocation = {
      contracts,
      allocationId: allocationId({
        buyer: market.buyer.account.address,
        modelId: market.model.modelId,
        route: market.route,
      }),
    };
    const before = await getAllocation(market.publicClient, allocation);
    const earningsBefore = await Promise.all(
      market.contributors.map((c) =>
        getEarnings(market.publicClient, { contracts, contributor: c.account.address }),
      ),
    );
    const treasuryBefore = await getEscrowTreasuryBalance(market.publicClient, { contracts });

    const settlers = sides.map(
      ({ store }, i) => new Settler({ client: market.wallet(local.accounts(10 + i)), contracts, store }),
    );
    const first = await settlers[0]!.settle({ force: true });
    expect(first.redeemed).toEqual(expect.arrayContaining([s1.channelId, s2.channelId]));
    expect(first.transactions).toHaveLength(1);
    // The other runners of the route find their channels paid and skip them.
    for (const settler of settlers.slice(1)) {
      const report = await settler.settle({ force: true });
      expect(report.transactions).toEqual([]);
      expect(report.skipped).toEqual(expect.arrayContaining([s1.channelId, s2.channelId]));
    }

    const after = await getAllocation(market.publicClient, allocation);
    expect(before.amount - after.amount).toBe(expected);
    let credited = 0n;
    for (const [i, c] of market.contributors.entries()) {
      const earned =
        (await getEarnings(market.publicClient, { contracts, contributor: c.account.address })) -
        earningsBefore[i]!;
      const share = BigInt(market.model.shards[i]!.shareBps);
      // Each channel is split on its own increase, rounding down.
      const s1Paid = costOfCounts({ inputTokens: 53n, outputTokens: 12n }, prices());
      const s2Paid = costOfCounts({ inputTokens: 8n, outputTokens: 64n }, prices());
      expect(earned).toBe((s1Paid * share) / 10_000n + (s2Paid * share) / 10_000n);
      credited += earned;
    }
    const fee = (await getEscrowTreasuryBalance(market.publicClient, { contracts })) - treasuryBefore;
    expect(fee).toBe(expected - credited);
    for (const { store } of sides) expect(store.unredeemed()).toEqual([]);

    // Settlement is idempotent: nothing is due and nothing is paid twice.
    expect((await settlers[0]!.settle({ force: true })).transactions).toEqual([]);
  });

  test("a voucher that reverts does not block the rest of its batch, and is not retried", async () => {
    const { store, ledger } = runnerSide(0, "bad-batch");
    const good = session();
    await serve([{ store, ledger }], good, 10, 10);
    // A voucher signed by a key the buyer never authorised, slipped into the store directly.
    const rogue = privateKeyToAccount(generatePrivateKey());
    const forged = session({ buyer: market.apiKey.buyer, signer: rogue });
    const ticket = await forged.complete(nextRequestId(), { inputTokens: 1000n, outputTokens: 1000n });
    store.saveVoucher({
      channelId: forged.channelId,
      voucher: ticket.voucher,
      signature: ticket.signature,
      signer: rogue.address,
      deadline: 0,
      now: Date.now(),
    });
    const settler = new Settler({
      client: market.wallet(local.accounts(13)),
      contracts: market.deployment,
      store,
    });
    const report = await settler.settle({ force: true });
    expect(report.redeemed).toEqual([good.channelId]);
    expect(report.failed).toEqual([forged.channelId]);
    expect(store.get(forged.channelId)?.failure).toMatch(/not a session signer/);
    expect((await settler.settle({ force: true })).transactions).toEqual([]);
  });

  test("retries a failing RPC with backoff", async () => {
    let calls = 0;
    const delays: number[] = [];
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error("ECONNREFUSED");
        return "ok";
      },
      { baseMs: 100, sleep: async (ms) => void delays.push(ms) },
    );
    expect(result).toBe("ok");
    expect(delays).toHaveLength(2);
    expect(delays[1]!).toBeGreaterThanOrEqual(100);
    await expect(
      withRetry(async () => Promise.reject(new Error("down")), { attempts: 2, sleep: async () => undefined }),
    ).rejects.toThrow("down");
  });

  test("settles what is due: past the threshold, idle, or near the signer's or thaw's end", () => {
    const store = VoucherStore.open(":memory:");
    const now = 1_800_000_000_000;
    const add = (name: string, amount: bigint, updatedAt: number, deadline: number) => {
      const voucher = { ...session().voucher(), sessionId: keccak256(toHex(name)), amount };
      const channelId = keccak256(toHex(`channel ${name}`));
      store.saveVoucher({
        channelId,
        voucher,
        signature: "0x",
        signer: market.apiKey.signer.address,
        deadline,
        now: updatedAt,
      });
      return channelId;
    };
    const fresh = add("fresh", 10n, now, now / 1000 + 86_400);
    const idle = add("idle", 10n, now - 700_000, now / 1000 + 86_400);
    const expiring = add("expiring", 10n, now, now / 1000 + 60);
    const settler = new Settler({
      client: market.publicClient,
      contracts: market.deployment,
      store,
      thresholdAmount: 1000n,
      now: () => now,
    });
    expect(
      settler
        .due()
        .map((c) => c.channelId)
        .sort(),
    ).toEqual([idle, expiring].sort());
    add("big", 1000n, now, now / 1000 + 86_400);
    expect(settler.due()).toHaveLength(4);
    expect(settler.due(true).map((c) => c.channelId)).toContain(fresh);
    store.close();
  });

  test("a revoked key, and a buyer who asked to release its route's allocation, are refused against the real chain", async () => {
    const contracts = market.deployment;
    const other = await createPaymentMarket(local, { shardCount: 3 });
    const reader = createPaymentChainReader(other.publicClient, { contracts: other.deployment });
    const store = VoucherStore.open(":memory:");
    const ledger = new PaymentLedger({
      runner: other.route[0]!,
      modelId: other.model.modelId,
      shardIndex: 0,
      shardCount: 3,
      chainId: local.chainId,
      paymentEscrow: other.deployment.paymentEscrow,
      reader,
      store,
    });
    const s = new PaymentSession({
      apiKey: other.apiKey,
      chainId: local.chainId,
      paymentEscrow: other.deployment.paymentEscrow,
      modelId: other.model.modelId,
      route: other.route,
      prices: prices(),
    });
    const ticket = async () => s.requestTicket({ requestId: nextRequestId(), maxOutputTokens: 16 });
    expect(await refusal(ledger.admit(await ticket(), { promptTokens: 16 }))).toBe("accepted");
    ledger.abandon((await ticket()).requestId);

    const target = { contracts: other.deployment, modelId: other.model.modelId, route: other.route };
    const id = allocationId({ buyer: other.buyer.account.address, ...target });
    const { amount } = await getAllocation(other.publicClient, {
      contracts: other.deployment,
      allocationId: id,
    });
    await other.send(requestRelease(other.buyer, { ...target, amount }));
    expect(await refusal(ledger.admit(await ticket(), { promptTokens: 16 }))).toBe("insufficient_balance");

    await other.send(
      revokeSigner(other.buyer, { contracts: other.deployment, signer: other.apiKey.signer.address }),
    );
    expect(await refusal(ledger.admit(await ticket(), { promptTokens: 16 }))).toBe("signer_revoked");
    expect(contracts.paymentEscrow).not.toBe(other.deployment.paymentEscrow);
    store.close();
  });
});
