/**
 * Aggregate decode throughput of `ShardSession.forwardBatch` at batch 1, 4, 16 and 32 against the same steps run
 * one by one with `forward`, on the bench model (`src/benchModel.ts`, one shard), fp32 and int4 (block 32).
 *   tsx packages/inference/scripts/benchBatch.ts [--rounds 3] [--steps 12] [--threads 1] [--batches 1,4,16,32]
 *
 * Each round and batch size opens B sequences on two copies of the shard (one batched, one sequential), prefills
 * each with the bench prompt, then decodes `steps` steps, the two modes alternating step by step so that machine
 * drift hits both alike. Every step feeds both modes the same tokens, and their logits are compared bit for bit
 * (the count of rows that differ is reported; it should be 0). Per mode: tokens/s = B / step time, and CPU ms per
 * token from `process.cpuUsage` (onnxruntime's threads included), medians over steps and rounds with the
 * interquartile range; the load average around the run. Results: bench-results/batch.json.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BENCH_PROMPT, BENCH_SHAPE } from "../src/benchModel.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { weightsSpecOf } from "../src/quantize.js";
import { ShardSession } from "../src/ShardSession.js";
import { shardModel } from "../src/shardModel.js";
import { median, quantile, round } from "./lib/stats.js";

const here = dirname(fileURLToPath(import.meta.url));
const modelsDir = resolve(here, "../.models");
const benchModel = join(modelsDir, "bench");
const resultsFile = resolve(here, "../../../bench-results/batch.json");
const FORMATS = ["fp32", "int4"] as const;
const WARMUP_STEPS = 2;

type Sample = { ms: number; cpuMs: number };

async function prepare(format: string): Promise<string> {
  if (!existsSync(join(benchModel, "config.json"))) {
    console.log(`generating the bench model in ${benchModel} ...`);
    makeTestModel({ dir: benchModel, ...BENCH_SHAPE });
  }
  const dir = join(modelsDir, `batch-${format}`);
  if (!existsSync(join(dir, "manifest.json"))) {
    await shardModel({
      modelDir: benchModel,
      outDir: dir,
      shardCount: 1,
      quiet: true,
      ...weightsSpecOf(format),
    });
  }
  return dir;
}

/** Wall and CPU time of `run`. */
async function timed(run: () => Promise<void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

async function measure(dir: string, batch: number, steps: number, threads: number) {
  const open = () => ShardSession.create({ dir, shardIndex: 0, verify: false, intraOpNumThreads: threads });
  const [batched, single] = [await open(), await open()];
  const ids = Array.from({ length: batch }, (_, i) => `seq${i}`);
  for (const [i, sessionId] of ids.entries()) {
    // Different cache lengths: each sequence's prompt is the bench prompt cut at a different point.
    const inputIds = BENCH_PROMPT.slice(0, 4 + (i % 13));
    await batched.forward({ sessionId, inputIds });
    await single.forward({ sessionId, inputIds });
  }
  const samples = { batched: [] as Sample[], sequential: [] as Sample[] };
  let differing = 0;
  for (let t = 0; t < WARMUP_STEPS + steps; t++) {
    const tokens = ids.map((_, i) => 20 + ((t * 37 + i * 11) % 1000));
    let rows: Float32Array[] = [];
    const seqRows: Float32Array[] = [];
    const runBatched = () =>
      timed(async () => {
        const results = await batched.forwardBatch(
          ids.map((sessionId, i) => ({ sessionId, inputIds: [tokens[i]!] })),
        );
        rows = results.map((r) => {
          if (!r.ok) throw r.error;
          return r.value.logits!;
        });
      });
    const runSequential = () =>
      timed(async () => {
        for (const [i, sessionId] of ids.entries()) {
          seqRows.push((await single.forward({ sessionId, inputIds: [tokens[i]!] })).logits!);
        }
      });
    const [b, s] = t % 2 ? [await runBatched(), await runSequential()] : [null, await runSequential()];
    const bb = b ?? (await runBatched());
    differing += rows.filter((row, i) => !sameBits(row, seqRows[i]!)).length;
    if (t >= WARMUP_STEPS) {
      samples.batched.push(bb);
      samples.sequential.push(s);
    }
  }
  await batched.release();
  await single.release();
  return { samples, differing };
}

function summary(samples: Sample[], batch: number) {
  const tps = samples.map((s) => (1000 * batch) / s.ms);
  const cpu = samples.map((s) => s.cpuMs / batch);
  return {
    tokensPerSecond: round(median(tps)),
    tokensPerSecondIqr: [round(quantile(tps, 0.25)), round(quantile(tps, 0.75))],
    cpuMsPerToken: round(median(cpu), 2),
    cpuMsPerTokenIqr: [round(quantile(cpu, 0.25), 2), round(quantile(cpu, 0.75), 2)],
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      steps: { type: "string", default: "12" },
      threads: { type: "string", default: "1" },
      batches: { type: "string", default: "1,4,16,32" },
    },
  });
  const rounds = Number(values.rounds);
  const steps = Number(values.steps);
  const threads = Number(values.threads);
  const batches = values.batches.split(",").map(Number);
  const loadBefore = loadavg();
  const results = [];
  for (const format of FORMATS) {
    const dir = await prepare(format);
    for (const batch of batches) {
      const all = { batched: [] as Sample[], sequential: [] as Sample[] };
      let differing = 0;
      for (let r = 0; r < rounds; r++) {
        const m = await measure(dir, batch, steps, threads);
        all.batched.push(...m.samples.batched);
        all.sequential.push(...m.samples.sequential);
        differing += m.differing;
      }
      const row = {
        format,
        batch,
        batched: summary(all.batched, batch),
        sequential: summary(all.sequential, batch),
        speedup: round(median(all.sequential.map((s) => s.ms)) / median(all.batched.map((s) => s.ms)), 2),
        logitRowsDiffering: differing,
        logitRowsCompared: (WARMUP_STEPS + steps) * batch * rounds,
      };
      results.push(row);
      console.log(JSON.stringify(row));
    }
  }
  const report = { threads, rounds, steps, cores: cpus().length, loadBefore, loadAfter: loadavg(), results };
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `load average before ${loadBefore.map((l) => l.toFixed(2))}, after ${report.loadAfter.map((l) => l.toFixed(2))}`,
  );
  console.log(`wrote ${resultsFile}`);
}

await main();
