import { computeCost } from "../contracts/pricing/computeCost.js";

/** Cumulative token counts of a channel (or one request's counts). */
export type TokenCounts = { inputTokens: bigint; outputTokens: bigint };

/** A model's on-chain prices, per million tokens in payment-token base units. */
export type ModelPrices = { inputPricePerMTok: bigint; outputPricePerMTok: bigint };

export const zeroCounts: TokenCounts = Object.freeze({ inputTokens: 0n, outputTokens: 0n });

export function addCounts(a: TokenCounts, b: TokenCounts): TokenCounts {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}

/** `computeCost` of cumulative counts: the amount a channel's voucher must reach. */
export function costOfCounts(counts: TokenCounts, prices: ModelPrices): bigint {
  return computeCost({
    inputTokens: counts.inputTokens,
    outputTokens: counts.outputTokens,
    inputPricePerMTok: prices.inputPricePerMTok,
    outputPricePerMTok: prices.outputPricePerMTok,
  });
}

/**
 * What one more request adds to a channel's cost: the difference of cumulative costs, so that the sum of the
 * increments equals the cost of the sum (rounding never accumulates).
 */
export function costIncrease(before: TokenCounts, request: TokenCounts, prices: ModelPrices): bigint {
  return costOfCounts(addCounts(before, request), prices) - costOfCounts(before, prices);
}
