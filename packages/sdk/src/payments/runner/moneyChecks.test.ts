import fc from "fast-check";
import { type Address, getAddress, type Hex, keccak256, toHex } from "viem";
import type { Voucher } from "../../contracts/types.js";
import { allocationId } from "../../contracts/voucher/allocationId.js";
import {
  abandonedWithinLimit,
  allocationCoversRequest,
  buyerCoversOtherChannels,
  firstFailure,
  type MoneyCheck,
  type MoneyContext,
  moneyChecks,
  openRequestsWithinLimit,
  signerWithinLimit,
  voucherCoversChannel,
  voucherNotLower,
} from "./moneyChecks.js";
import type { StoredChannel } from "./VoucherStore.js";

const buyer = getAddress("0x1000000000000000000000000000000000000001");
const signer = getAddress("0x2000000000000000000000000000000000000002");
const route: Address[] = [getAddress("0x3000000000000000000000000000000000000003")];
const modelId = keccak256(toHex("model"));
const channelId = keccak256(toHex("channel"));
const NOW = 1_800_000_000_000;

function voucher(amount: bigint, otherRoute = false): Voucher {
  return {
    chainId: 31337n,
    escrow: getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
    buyer,
    modelId,
    route: otherRoute ? [getAddress("0x4000000000000000000000000000000000000004")] : route,
    channelId,
    amount,
    validUntil: 0n,
  } as unknown as Voucher;
}

function channel(amount: bigint, paid: bigint, by: Address = signer, otherRoute = false): StoredChannel {
  const id = keccak256(toHex(`${amount}:${paid}:${by}:${otherRoute}`));
  return {
    channelId: id,
    voucher: { ...voucher(amount, otherRoute), channelId: id },
    signature: "0x",
    signer: by,
    paid,
    measured: { input: 0n, output: 0n },
    declared: { input: 0n, output: 0n },
    deadline: 0,
  } as unknown as StoredChannel;
}

/** A context every check passes; each test breaks one thing. */
function passing(overrides: Partial<MoneyContext> = {}): MoneyContext {
  return {
    voucher: voucher(100n),
    buyer,
    signer: buyer,
    channelId,
    stored: undefined,
    owed: 0n,
    uncoveredElsewhere: [],
    open: [],
    maxCost: 10n,
    abandoned: [],
    channels: [],
    now: NOW,
    maxOpenRequestsPerBuyer: 4,
    maxAbandonedPerBuyer: 2,
    abandonedExpirySeconds: 60,
    allocation: { amount: 1000n, releasing: 0n, releaseEnd: 0n },
    ...overrides,
  };
}

const ownAllocation = allocationId(voucher(0n)) as Hex;

describe("money checks, one rule each", () => {
  it("a context meant to pass passes every check", () => {
    expect(firstFailure(moneyChecks, passing())).toBeUndefined();
  });

  it("voucherNotLower: equal to the best voucher passes, one below is voucher_not_increasing", () => {
    expect(voucherNotLower(passing({ stored: channel(100n, 0n) }))).toBeUndefined();
    expect(voucherNotLower(passing({ stored: channel(101n, 0n) }))?.code).toBe("voucher_not_increasing");
  });

  it("voucherCoversChannel: covering exactly what is owed passes, one below is voucher_insufficient", () => {
    expect(voucherCoversChannel(passing({ owed: 100n }))).toBeUndefined();
    const refusal = voucherCoversChannel(passing({ owed: 101n }));
    expect(refusal?.code).toBe("voucher_insufficient");
    expect(refusal?.details).toContain("owed 101");
  });

  it("buyerCoversOtherChannels names the channel left short", () => {
    const other = keccak256(toHex("other"));
    const refusal = buyerCoversOtherChannels(
      passing({ uncoveredElsewhere: [{ channelId: other, owed: 7n }] }),
    );
    expect(refusal?.code).toBe("voucher_insufficient");
    expect(refusal?.details).toBe(`channel ${other} owes 7`);
  });

  it("openRequestsWithinLimit: the limit itself is refused, with a retry after 1 s", () => {
    const open = (n: number) =>
      Array.from({ length: n }, () => ({ maxCost: 1n, allocationId: ownAllocation }));
    expect(openRequestsWithinLimit(passing({ open: open(3) }))).toBeUndefined();
    const refusal = openRequestsWithinLimit(passing({ open: open(4) }));
    expect(refusal?.code).toBe("too_many_open_requests");
    expect(refusal?.retryAfterSeconds).toBe(1);
  });

  it("abandonedWithinLimit: the retry is when the oldest abandoned request expires", () => {
    const refusal = abandonedWithinLimit(passing({ abandoned: [NOW - 45_000, NOW - 1_000] }));
    expect(refusal?.code).toBe("too_many_open_requests");
    expect(refusal?.retryAfterSeconds).toBe(15);
    expect(abandonedWithinLimit(passing({ abandoned: [NOW - 45_000] }))).toBeUndefined();
  });

  it("signerWithinLimit counts spent, the signer's unredeemed vouchers, this channel and every open request", () => {
    const record = { spendLimit: 200n, spent: 50n, validUntil: 0n, pendingLimitFrom: 0n, pendingLimit: 0n };
    // 50 spent + 30 unredeemed by this signer + 100 this channel + 10 this request + 10 open = 200: at the limit.
    const atLimit = passing({
      signer,
      signerRecord: record,
      channels: [channel(40n, 10n), channel(999n, 0n, buyer)],
      open: [{ maxCost: 10n, allocationId: ownAllocation }],
    });
    expect(signerWithinLimit(atLimit)).toBeUndefined();
    const over = { ...atLimit, maxCost: 11n };
    expect(signerWithinLimit(over)?.code).toBe("signer_limit_exceeded");
    // A scheduled cut binds at once; the buyer's own key has no limit here.
    const cut = { ...atLimit, signerRecord: { ...record, pendingLimitFrom: 1n, pendingLimit: 199n } };
    expect(signerWithinLimit(cut)?.details).toContain("limit 199");
    expect(signerWithinLimit({ ...over, signer: buyer })).toBeUndefined();
  });

  it("allocationCoversRequest counts only this route's vouchers and open requests, less what is releasing", () => {
    const otherAllocation = allocationId(voucher(0n, true)) as Hex;
    const context = passing({
      // 100 this channel + (60 - 20) unredeemed + 10 this request + 5 open here = 155; the other route's ignored.
      channels: [channel(60n, 20n), channel(500n, 0n, signer, true)],
      open: [
        { maxCost: 5n, allocationId: ownAllocation },
        { maxCost: 400n, allocationId: otherAllocation },
      ],
      allocation: { amount: 255n, releasing: 100n, releaseEnd: 0n },
    });
    expect(allocationCoversRequest(context)).toBeUndefined();
    const short = { ...context, allocation: { amount: 254n, releasing: 100n, releaseEnd: 0n } };
    const refusal = allocationCoversRequest(short);
    expect(refusal?.code).toBe("insufficient_balance");
    expect(refusal?.details).toContain("available 154, needed 155");
    // Releasing more than allocated leaves nothing, never a negative amount.
    const drained = { ...context, allocation: { amount: 10n, releasing: 50n, releaseEnd: 0n } };
    expect(allocationCoversRequest(drained)?.details).toContain("available 0,");
  });
});

/** A channel never paid more than its voucher: `paid` capped at `amount` (bigints, so no Math.min). */
const atMost = (value: bigint, cap: bigint): bigint => (value < cap ? value : cap);

const amount = fc.bigInt({ min: 0n, max: 1000n });
const contexts: fc.Arbitrary<MoneyContext> = fc
  .record({
    voucherAmount: amount,
    stored: fc.option(fc.tuple(amount, amount), { nil: undefined }),
    owed: amount,
    uncovered: fc.boolean(),
    open: fc.array(fc.tuple(amount, fc.boolean()), { maxLength: 5 }),
    maxCost: amount,
    abandoned: fc.array(fc.integer({ min: 0, max: 59_000 }), { maxLength: 3 }),
    channels: fc.array(fc.tuple(amount, amount, fc.boolean(), fc.boolean()), { maxLength: 4 }),
    bySigner: fc.boolean(),
    limit: amount,
    spent: amount,
    allocation: fc.tuple(amount, amount),
  })
  .map((r) => {
    const otherAllocation = allocationId(voucher(0n, true)) as Hex;
    return passing({
      voucher: voucher(r.voucherAmount),
      stored: r.stored && channel(r.stored[0], atMost(r.stored[1], r.stored[0])),
      owed: r.owed,
      uncoveredElsewhere: r.uncovered ? [{ channelId: keccak256(toHex("x")), owed: 1n }] : [],
      open: r.open.map(([maxCost, here]) => ({
        maxCost,
        allocationId: here ? ownAllocation : otherAllocation,
      })),
      maxCost: r.maxCost,
      abandoned: [...r.abandoned].sort((a, b) => b - a).map((ago) => NOW - ago),
      channels: r.channels.map(([a, p, mine, other]) =>
        channel(a, atMost(p, a), mine ? signer : buyer, other),
      ),
      signer: r.bySigner ? signer : buyer,
      signerRecord: {
        spendLimit: r.limit,
        spent: r.spent,
        validUntil: 0n,
        pendingLimitFrom: 0n,
        pendingLimit: 0n,
      },
      allocation: { amount: r.allocation[0], releasing: r.allocation[1], releaseEnd: 0n },
    });
  });

describe("money checks, as a list", () => {
  it("property: the first refusal is the earliest failing rule in the list's order, and none means all pass", () => {
    fc.assert(
      fc.property(contexts, (context) => {
        const failing = moneyChecks.filter((check) => check(context) !== undefined);
        const first = firstFailure(moneyChecks, context);
        if (failing.length === 0) return first === undefined;
        return first?.code === failing[0]!(context)?.code && first?.details === failing[0]!(context)?.details;
      }),
      { numRuns: 500 },
    );
  });

  it("property: more allocation or a higher signer limit never turns a pass into a refusal", () => {
    const monotone = (check: MoneyCheck, raise: (c: MoneyContext, by: bigint) => MoneyContext) =>
      fc.property(
        contexts,
        fc.bigInt({ min: 0n, max: 1000n }),
        (context, by) => check(context) !== undefined || check(raise(context, by)) === undefined,
      );
    fc.assert(
      monotone(allocationCoversRequest, (c, by) => ({
        ...c,
        allocation: { ...c.allocation!, amount: c.allocation!.amount + by },
      })),
      { numRuns: 300 },
    );
    fc.assert(
      monotone(signerWithinLimit, (c, by) => ({
        ...c,
        signerRecord: { ...c.signerRecord!, spendLimit: c.signerRecord!.spendLimit + by },
      })),
      { numRuns: 300 },
    );
  });

  it("property: a costlier request never passes where a cheaper one of the same context is refused", () => {
    fc.assert(
      fc.property(contexts, fc.bigInt({ min: 0n, max: 1000n }), (context, more) => {
        const cheap = firstFailure(moneyChecks, context);
        const costly = firstFailure(moneyChecks, { ...context, maxCost: context.maxCost + more });
        return cheap === undefined || costly !== undefined;
      }),
      { numRuns: 500 },
    );
  });

  it("the list runs in the ledger's order: channel, buyer's standing, signer, allocation", () => {
    expect(moneyChecks).toEqual([
      voucherNotLower,
      voucherCoversChannel,
      buyerCoversOtherChannels,
      openRequestsWithinLimit,
      abandonedWithinLimit,
      signerWithinLimit,
      allocationCoversRequest,
    ]);
    const everythingWrong = passing({ stored: channel(101n, 0n), owed: 1000n, signer, maxCost: 10_000n });
    expect(firstFailure(moneyChecks, everythingWrong)?.code).toBe("voucher_not_increasing");
  });
});
