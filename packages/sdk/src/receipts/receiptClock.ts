import type { Hex } from "viem";
import type { RunnerPeriod } from "./getRunnerPeriods.js";

/**
 * How far, in seconds, a receipt's `issuedAt` may stray from the chain's clock: 300 (five minutes), the contracts'
 * `ReceiptSlasher.RECEIPT_CLOCK_SKEW_SECONDS`. A receipt counts as signed in a registration from `skew` seconds
 * before its block to `skew` seconds after its deactivation's, and none may be dated more than that after the
 * latest block. Wide enough for NTP-kept clocks and block times a proposer set some seconds off; narrow enough that
 * a runner gains at most five minutes of unstaked signing by its dates.
 */
export const RECEIPT_CLOCK_SKEW_SECONDS = 300n;

export type FindPeriodWithinParameters = {
  modelId: Hex;
  shardIndex: number;
  /** The receipt's `issuedAt`, unix seconds. */
  at: bigint;
  /** Defaults to {@link RECEIPT_CLOCK_SKEW_SECONDS}. */
  skew?: bigint;
};

/**
 * The index in `periods` (a runner's, oldest first, as {@link getRunnerPeriods} gives them) of the registration
 * for that model and shard that `at` falls in, give or take `skew`: `from - skew <= at` and (`until` unset or
 * `at < until + skew`). Where two match, the one holding `at` itself, else the later: the rule of
 * `RunnerRegistry.findRegistrationPeriodWithin`, which the ReceiptSlasher applies. `undefined` when none does.
 * @example
 * const index = findPeriodWithin(periods, { modelId, shardIndex: 0, at: receipt.issuedAt });
 */
export function findPeriodWithin(
  periods: readonly RunnerPeriod[],
  { modelId, shardIndex, at, skew = RECEIPT_CLOCK_SKEW_SECONDS }: FindPeriodWithinParameters,
): number | undefined {
  let later: number | undefined;
  for (let i = periods.length - 1; i >= 0; i--) {
    const { from, until, ...period } = periods[i]!;
    const reaches = from - skew <= at && (until === undefined || at < until + skew);
    if (
      !reaches ||
      period.shardIndex !== shardIndex ||
      period.modelId.toLowerCase() !== modelId.toLowerCase()
    )
      continue;
    if (from <= at && (until === undefined || at < until)) return i;
    later ??= i;
  }
  return later;
}

/** Whether `issuedAt` lies more than `skew` seconds after `now` (unix seconds). */
export const isFromTheFuture = (issuedAt: bigint, now: bigint, skew = RECEIPT_CLOCK_SKEW_SECONDS): boolean =>
  issuedAt > now + skew;
