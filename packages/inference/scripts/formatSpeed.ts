/**
 * Decode speed of the bench model, unsharded, in fp32, int8 and int4 side by side.
 *   tsx packages/inference/scripts/formatSpeed.ts [--steps 48] [--block-size 32] [--threads 1]
 *
 * The three formats are loaded in one process and decoded in lockstep (greedy after the bench prompt), step t of
 * each back to back in an order rotated and reversed every step, as `pnpm bench:inference` pairs shard counts, so
 * the per-step speed ratio to fp32 cancels the drift of a shared machine. Prints per format the median step time
 * with its interquartile range, tokens/s, CPU ms per token, and the median per-step speed ratio to fp32 with its IQR.
 */
import { parseArgs } from "node:util";
import { BENCH_PROMPT } from "../src/benchModel.js";
import { forwardChain } from "../src/generate.js";
import { loadManifest } from "../src/manifest.js";
import type { WeightsSpec } from "../src/quantize.js";
import { ShardSession } from "../src/ShardSession.js";
import { argmax } from "../src/sample.js";
import { benchShardIn } from "./quantModels.js";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "48" },
    "block-size": { type: "string", default: "32" },
    threads: { type: "string", default: "1" },
  },
});
const blockSize = Number(values["block-size"]);
const formats: WeightsSpec[] = [
  { format: "fp32" },
  { format: "int8", blockSize },
  { format: "int4", blockSize },
];

const runs = [];
for (const weights of formats) {
  const dir = await benchShardIn(weights);
  const manifest = await loadManifest(dir);
  const intraOpNumThreads = Number(values.threads);
  const shard = await ShardSession.create({ dir, shardIndex: 0, manifest, verify: false, intraOpNumThreads });
  const first = argmax(await forwardChain([shard], { sessionId: "s", inputIds: BENCH_PROMPT }));
  runs.push({ weights, shard, last: first, stepMs: [] as number[], cpuMs: [] as number[] });
}
for (let step = 0; step < Number(values.steps); step++) {
  const order = [...runs.slice(step % runs.length), ...runs.slice(0, step % runs.length)];
  for (const run of step % 2 ? order.reverse() : order) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    run.last = argmax(await forwardChain([run.shard], { sessionId: "s", inputIds: [run.last] }));
    run.stepMs.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    run.cpuMs.push((used.user + used.system) / 1000);
  }
}
const fp32 = runs[0]!;
console.table(
  runs.map((run) => {
    const ratios = run.stepMs.map((ms, i) => fp32.stepMs[i]! / ms);
    return {
      format: run.weights.format,
      "tok/s": round(1000 / quantile(run.stepMs, 0.5)),
      "step ms, median (IQR)": `${round(quantile(run.stepMs, 0.5))} (${round(quantile(run.stepMs, 0.25))}–${round(quantile(run.stepMs, 0.75))})`,
      "CPU ms/token": round(quantile(run.cpuMs, 0.5)),
      "speed vs fp32, median (IQR)": `${round(quantile(ratios, 0.5), 3)} (${round(quantile(ratios, 0.25), 3)}–${round(quantile(ratios, 0.75), 3)})`,
    };
  }),
);
await Promise.all(runs.map((run) => run.shard.release()));

/** The q-quantile by linear interpolation between order statistics. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (at - low);
}

function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}
