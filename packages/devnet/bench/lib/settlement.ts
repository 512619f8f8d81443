import type { Hex } from "viem";

/** What the gateway reported for one served request: its `teetee` field's usage, cost and voucher. */
export type ReportedUsage = {
  channelId: Hex;
  inputTokens: number;
  outputTokens: number;
  /** Payment-token base units the gateway charged for this request. */
  cost: bigint;
  /** The channel's cumulative voucher amount after this request. */
  voucherAmount: bigint;
};

export type ModelPrices = { inputPricePerMTok: bigint; outputPricePerMTok: bigint };

export type ChannelSettlement = {
  channelId: Hex;
  requests: number;
  /** Sum of the per-request costs the gateway reported. */
  reported: bigint;
  /** The same usage at the model's prices, in millionths of a base unit (before the per-channel rounding up). */
  atPriceMicro: bigint;
  /** The voucher before the soak's first request on this channel (its amount less its cost). */
  voucherBefore: bigint;
  voucherAfter: bigint;
  /** What the escrow has paid out on this channel on-chain (the runners' earnings), read after settlement. */
  paid: bigint;
  problems: string[];
};

export type SettlementCheck = {
  channels: ChannelSettlement[];
  reported: bigint;
  /** Paid on-chain for the soak's usage: the paid amounts less the vouchers before the soak. */
  settled: bigint;
  ok: boolean;
};

/**
 * Compares a soak's on-chain settlement with the usage the gateway reported. Per channel: the vouchers must grow
 * by exactly each request's cost (no gap, no double count), the costs must be the usage at the model's prices
 * (their sum within the one base unit that rounding up per channel allows), and once the runners settled, what
 * the escrow paid must be the last voucher, so the soak's part of it is the sum of the reported costs. `paid`
 * holds each channel's on-chain paid amount after settlement.
 */
export function checkSettlement(
  usage: readonly ReportedUsage[],
  prices: ModelPrices,
  paid: ReadonlyMap<Hex, bigint>,
): SettlementCheck {
  const byChannel = new Map<Hex, ReportedUsage[]>();
  for (const u of usage) byChannel.set(u.channelId, [...(byChannel.get(u.channelId) ?? []), u]);
  const channels = [...byChannel].map(([channelId, list]) => {
    const sorted = [...list].sort((a, b) => (a.voucherAmount < b.voucherAmount ? -1 : 1));
    const problems: string[] = [];
    const voucherBefore = sorted[0]!.voucherAmount - sorted[0]!.cost;
    let voucher = voucherBefore;
    for (const u of sorted) {
      if (u.voucherAmount !== voucher + u.cost)
        problems.push(`voucher ${u.voucherAmount} is not the previous ${voucher} plus the cost ${u.cost}`);
      voucher = u.voucherAmount;
    }
    const reported = sorted.reduce((sum, u) => sum + u.cost, 0n);
    const atPriceMicro = sorted.reduce(
      (sum, u) =>
        sum +
        BigInt(u.inputTokens) * prices.inputPricePerMTok +
        BigInt(u.outputTokens) * prices.outputPricePerMTok,
      0n,
    );
    // ceil(C0 + X) - ceil(C0) lies in [floor(X), ceil(X)] for the cumulative rounding the gateway applies.
    const floor = atPriceMicro / 1_000_000n;
    const ceil = (atPriceMicro + 999_999n) / 1_000_000n;
    if (reported < floor || reported > ceil)
      problems.push(`reported ${reported} is not the usage at the model's prices (${floor}..${ceil})`);
    const paidNow = paid.get(channelId);
    if (paidNow === undefined) problems.push("no on-chain paid amount read");
    else if (paidNow !== voucher) problems.push(`paid on-chain ${paidNow}, last voucher ${voucher}`);
    return {
      channelId,
      requests: sorted.length,
      reported,
      atPriceMicro,
      voucherBefore,
      voucherAfter: voucher,
      paid: paidNow ?? 0n,
      problems,
    };
  });
  const reported = channels.reduce((sum, c) => sum + c.reported, 0n);
  const settled = channels.reduce((sum, c) => sum + (c.paid - c.voucherBefore), 0n);
  return {
    channels,
    reported,
    settled,
    ok: channels.every((c) => c.problems.length === 0) && settled === reported,
  };
}
