import { quantile } from "./soakStats.js";

/** The middle of `xs` (mean of the two middles for an even count); NaN for none. */
export function middle(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type Spread = { median: number; min: number; max: number };

/** Median and range of repeats. */
export const spreadOf = (xs: readonly number[]): Spread => ({
  median: middle(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
});

/**
 * One stream of a concurrent run: when each piece of generated text arrived (ms, any common clock), and how many
 * tokens it generated when that is known apart from the pieces (a gateway streams no piece for a token whose text
 * is empty or held back, and reports the count in its usage).
 */
export type StreamTiming = { tokenTimesMs: readonly number[]; tokens?: number };

export type ConcurrentRun = {
  streams: number;
  /** Generated tokens of all streams. */
  tokens: number;
  /** Decode tokens per second over all streams: tokens after each stream's first, over the decode window. */
  aggregateTokensPerSecond: number;
  /** Inter-token latency of every stream's decode steps, pooled: p50 and p95 (nearest rank), ms. */
  itlP50Ms: number;
  itlP95Ms: number;
  /** CPU seconds of every process of the setup over the run, per generated token, ms. */
  cpuMsPerToken: number;
  /** Wall seconds of the run. */
  wallSeconds: number;
};

/**
 * Decode throughput and inter-token latency of streams that ran at the same time. The decode window runs from the
 * earliest first token to the latest last token, and each stream's first token (prefill, queueing) is left out of
 * the count, so the figure is decode throughput, as the single-stream baseline it is compared with.
 */
export function summarizeConcurrent(
  streams: readonly StreamTiming[],
  cpuSeconds: number,
  wallSeconds: number,
): ConcurrentRun {
  const gaps = streams.flatMap(({ tokenTimesMs: t }) => t.slice(1).map((at, i) => at - t[i]!));
  const firsts = streams.flatMap(({ tokenTimesMs: t }) => (t.length > 0 ? [t[0]!] : []));
  const lasts = streams.flatMap(({ tokenTimesMs: t }) => (t.length > 0 ? [t.at(-1)!] : []));
  const windowMs = lasts.length === 0 ? 0 : Math.max(...lasts) - Math.min(...firsts);
  const counts = streams.map((s) => s.tokens ?? s.tokenTimesMs.length);
  const tokens = counts.reduce((sum, n) => sum + n, 0);
  const decodeTokens = counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  return {
    streams: streams.length,
    tokens,
    aggregateTokensPerSecond: windowMs > 0 ? (decodeTokens * 1000) / windowMs : 0,
    itlP50Ms: quantile(gaps, 0.5) ?? Number.NaN,
    itlP95Ms: quantile(gaps, 0.95) ?? Number.NaN,
    cpuMsPerToken: tokens > 0 ? (cpuSeconds * 1000) / tokens : Number.NaN,
    wallSeconds,
  };
}

/** A setup's figures at one concurrency, medians over repeats. */
export type ConcurrencyRow = {
  setup: string;
  dtype: string;
  streams: number;
  aggregateTokensPerSecond: Spread;
  itlP50Ms: Spread;
  itlP95Ms: Spread;
  cpuMsPerToken: Spread;
  wallSeconds: Spread;
};

/** Medians with range over the repeats of one setup at one concurrency. */
export function rowOf(setup: string, dtype: string, runs: readonly ConcurrentRun[]): ConcurrencyRow {
  const of = (key: keyof ConcurrentRun) => spreadOf(runs.map((r) => r[key]));
  return {
    setup,
    dtype,
    streams: runs[0]!.streams,
    aggregateTokensPerSecond: of("aggregateTokensPerSecond"),
    itlP50Ms: of("itlP50Ms"),
    itlP95Ms: of("itlP95Ms"),
    cpuMsPerToken: of("cpuMsPerToken"),
    wallSeconds: of("wallSeconds"),
  };
}

/** Issue 16's goals, as ratios of medians: each is undefined where a row it needs was not measured. */
export type Goals = {
  /** Aggregate tok/s at 16 streams over single-stream of the same setup (goal >= 8). */
  speedupAt16?: number;
  /** This row's aggregate tok/s over llama.cpp's at the same concurrency and weights (goal >= 1). */
  vsLlamaCpp?: number;
  /** p95 inter-token latency at 16 streams over the single-stream p50 (goal <= 3). */
  p95At16OverSingleP50?: number;
  /** CPU per token over the unsharded setup's at the same concurrency and weights (goal <= 1.15; runners only). */
  cpuVsUnsharded?: number;
};

export const GOALS = {
  speedupAt16: 8,
  vsLlamaCpp: 1,
  p95At16OverSingleP50: 3,
  cpuVsUnsharded: 1.15,
} as const;

/** The goal columns of `row`, read against the other rows of the same run. */
export function goalsOf(row: ConcurrencyRow, rows: readonly ConcurrencyRow[]): Goals {
  const find = (setup: string, streams: number) =>
    rows.find((r) => r.setup === setup && r.dtype === row.dtype && r.streams === streams);
  const single = find(row.setup, 1);
  const at16 = find(row.setup, 16);
  const llama = find("llama.cpp", row.streams);
  const unsharded = find("unsharded", row.streams);
  const goals: Goals = {};
  if (row.streams === 16 && single !== undefined)
    goals.speedupAt16 = row.aggregateTokensPerSecond.median / single.aggregateTokensPerSecond.median;
  if (row.setup !== "llama.cpp" && llama !== undefined)
    goals.vsLlamaCpp = row.aggregateTokensPerSecond.median / llama.aggregateTokensPerSecond.median;
  if (row.streams === 16 && at16 !== undefined && single !== undefined)
    goals.p95At16OverSingleP50 = at16.itlP95Ms.median / single.itlP50Ms.median;
  if (row.setup.includes("runner") && unsharded !== undefined)
    goals.cpuVsUnsharded = row.cpuMsPerToken.median / unsharded.cpuMsPerToken.median;
  return goals;
}

/**
 * Least-squares slope of `ys` over `xs` (units of y per unit of x); undefined for fewer than two distinct x. The
 * soak's "RSS flat after warm-up" is this slope of a process's RSS samples after the first minute, in MiB/min.
 */
export function slope(xs: readonly number[], ys: readonly number[]): number | undefined {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return undefined;
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  return sxx === 0 ? undefined : sxy / sxx;
}
