import type { Hex } from "viem";
import { checkSettlement, type ReportedUsage } from "./settlement.js";

const A = `0x${"a".repeat(64)}` as Hex;
const B = `0x${"b".repeat(64)}` as Hex;
// 2 and 6 base units per million tokens (the demo's 2 / 6 tUSD with 6 decimals would be 2e6 / 6e6).
const prices = { inputPricePerMTok: 2_000_000n, outputPricePerMTok: 6_000_000n };
const usage = (channelId: Hex, inputTokens: number, outputTokens: number, cost: bigint, voucher: bigint) =>
  ({ channelId, inputTokens, outputTokens, cost, voucherAmount: voucher }) satisfies ReportedUsage;

// 20 in, 8 out: 40 + 48 = 88 base units each; channel A had 100 paid by the demo before the soak.
const soak = [
  usage(A, 20, 8, 88n, 188n),
  usage(B, 20, 8, 88n, 88n),
  usage(A, 20, 8, 88n, 276n),
  usage(B, 20, 8, 88n, 176n),
];

describe("checkSettlement", () => {
  test("passes when every channel paid its last voucher and the vouchers grew by the reported costs", () => {
    const check = checkSettlement(
      soak,
      prices,
      new Map([
        [A, 276n],
        [B, 176n],
      ]),
    );
    expect(check.ok).toBe(true);
    expect(check.reported).toBe(352n);
    expect(check.settled).toBe(352n);
    expect(check.channels.map((c) => [c.voucherBefore, c.requests])).toEqual([
      [100n, 2],
      [0n, 2],
    ]);
  });

  test("fails when a channel is not settled to its last voucher", () => {
    const check = checkSettlement(
      soak,
      prices,
      new Map([
        [A, 188n],
        [B, 176n],
      ]),
    );
    expect(check.ok).toBe(false);
    expect(check.channels[0]!.problems).toEqual(["paid on-chain 188, last voucher 276"]);
    expect(check.settled).toBe(264n);
  });

  test("fails when a channel was never read, a voucher skips, or a cost is not the usage at the price", () => {
    const skipped = [usage(A, 20, 8, 88n, 88n), usage(A, 20, 8, 88n, 180n)];
    expect(checkSettlement(skipped, prices, new Map([[A, 180n]])).channels[0]!.problems).toEqual([
      "voucher 180 is not the previous 88 plus the cost 88",
    ]);
    const overcharged = [usage(B, 20, 8, 90n, 90n)];
    expect(checkSettlement(overcharged, prices, new Map([[B, 90n]])).channels[0]!.problems).toEqual([
      "reported 90 is not the usage at the model's prices (88..88)",
    ]);
    expect(checkSettlement(overcharged, prices, new Map()).ok).toBe(false);
  });

  test("allows the one base unit of rounding up per channel", () => {
    const tiny = { inputPricePerMTok: 1n, outputPricePerMTok: 1n };
    const check = checkSettlement([usage(A, 3, 2, 1n, 1n), usage(A, 3, 2, 0n, 1n)], tiny, new Map([[A, 1n]]));
    expect(check.ok).toBe(true);
  });
});
