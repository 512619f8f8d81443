import type { Decoder } from "./benchDecoders.js";
import { median, quantile, rotate, round } from "./stats.js";

/** One configuration's decode steps in a lockstep run: index i of each array is decode step i. */
export type StepSeries = {
  /** Wall time of each decode step (ms). */
  stepMs: number[];
  /** Process CPU time (user + system, all threads) of each decode step (ms). */
  cpuMs: number[];
  /** The greedy tokens, the prefill's first. */
  tokens: number[];
};

/**
 * Greedy generation of `maxTokens` on every configuration at once: prefill each with `promptIds` (untimed), then
 * per decode step run every configuration once, in an order rotated by the step and the run and reversed on odd
 * steps, so that no configuration is always first or always follows the same other one. Steps never overlap, so
 * the process's CPU time across a step belongs to the configuration that ran it.
 */
export async function lockstep(
  decoders: Map<string, Decoder>,
  promptIds: number[],
  maxTokens: number,
  run: number,
): Promise<Map<string, StepSeries>> {
  const keys = [...decoders.keys()];
  const state = new Map(
    keys.map((key) => [key, { stepMs: [] as number[], cpuMs: [] as number[], tokens: [] as number[] }]),
  );
  for (const key of keys) state.get(key)!.tokens.push(await decoders.get(key)!.start(promptIds));
  for (let step = 1; step < maxTokens; step++) {
    const order = rotate(keys, step + run);
    for (const key of step % 2 ? order.reverse() : order) {
      const s = state.get(key)!;
      const cpu = process.cpuUsage();
      const start = performance.now();
      const token = await decoders.get(key)!.step(s.tokens.at(-1)!);
      s.stepMs.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      s.cpuMs.push((used.user + used.system) / 1000);
      s.tokens.push(token);
    }
  }
  for (const decoder of decoders.values()) await decoder.end();
  return state;
}

/** Per-step ratios of a configuration's step times to the reference's, paired by step index. */
export function pairedRatios(stepMs: number[], referenceStepMs: number[]): number[] {
  return stepMs.map((ms, i) => ms / referenceStepMs[i]!);
}

/**
 * The headline of a paired comparison: the median of the step-time ratios pooled over all rounds, their
 * interquartile range, and each round's own median as the spread between processes.
 */
export function ratioSummary(ratiosPerRound: number[][]) {
  const pooled = ratiosPerRound.flat();
  return {
    median: round(median(pooled), 4),
    interquartileRange: [round(quantile(pooled, 0.25), 4), round(quantile(pooled, 0.75), 4)],
    perRoundMedians: ratiosPerRound.map((r) => round(median(r), 4)),
    pairedSteps: pooled.length,
  };
}
