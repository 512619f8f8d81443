import fc from "fast-check";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { computeCost } from "../contracts/pricing/computeCost.js";
import { PaymentSession } from "./PaymentSession.js";
import { addCounts, costIncrease, costOfCounts, type TokenCounts, zeroCounts } from "./tokenCounts.js";

const counts = fc.record({
  inputTokens: fc.bigInt({ min: 0n, max: 1_000_000n }),
  outputTokens: fc.bigInt({ min: 0n, max: 1_000_000n }),
});
const prices = fc.record({
  inputPricePerMTok: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  outputPricePerMTok: fc.bigInt({ min: 0n, max: 10n ** 12n }),
});

describe("cumulative accounting", () => {
  test("increments sum to the cost of the sum, each is non-negative, rounding never accumulates", () => {
    fc.assert(
      fc.property(fc.array(counts, { maxLength: 40 }), prices, (requests, p) => {
        let total: TokenCounts = zeroCounts;
        let charged = 0n;
        for (const request of requests) {
          const increase = costIncrease(total, request, p);
          expect(increase).toBeGreaterThanOrEqual(0n);
          charged += increase;
          total = addCounts(total, request);
        }
        expect(charged).toBe(computeCost({ ...total, ...p }));
        // Charging each request on its own would round up every time: never less than the cumulative charge.
        const perRequest = requests.reduce((sum, r) => sum + costOfCounts(r, p), 0n);
        expect(perRequest).toBeGreaterThanOrEqual(charged);
        expect(perRequest - charged).toBeLessThanOrEqual(BigInt(requests.length));
      }),
      { numRuns: 500 },
    );
  });

  test("a session's voucher amount only grows and always equals computeCost of its cumulative counts", async () => {
    const apiKey = {
      buyer: privateKeyToAccount(generatePrivateKey()).address,
      signer: privateKeyToAccount(generatePrivateKey()),
    };
    await fc.assert(
      fc.asyncProperty(fc.array(counts, { maxLength: 8 }), prices, async (requests, p) => {
        const session = new PaymentSession({
          apiKey,
          chainId: 31337,
          paymentEscrow: apiKey.buyer,
          modelId: `0x${"11".repeat(32)}`,
          route: [apiKey.buyer],
          prices: p,
        });
        let previous = 0n;
        let total: TokenCounts = zeroCounts;
        for (const [i, request] of requests.entries()) {
          const increase = session.costOf(request);
          const ticket = await session.complete(`0x${i.toString(16).padStart(64, "0")}`, request);
          total = addCounts(total, request);
          expect(ticket.voucher.amount).toBe(previous + increase);
          expect(ticket.voucher.amount).toBe(computeCost({ ...total, ...p }));
          previous = ticket.voucher.amount;
        }
      }),
      { numRuns: 25 },
    );
  });
});
