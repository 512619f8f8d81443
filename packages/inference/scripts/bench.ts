/**
 * Decode throughput and peak memory of the unsharded bench model vs 2 and 4 shards chained in one process.
 *   tsx packages/inference/scripts/bench.ts [--rounds 3] [--runs 3] [--threads 1]
 * Each configuration runs in its own child process (so peak RSS is its own), rounds interleave the
 * configurations (so machine drift hits all alike). A further child per shard loads that shard alone, as a
 * runner would, to measure its own peak RSS. Results: bench-results/inference.json and a table.
 * One intra-op thread by default: on a small shared machine a second thread mostly measures contention.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { balancedBoundaries } from "../src/balancedBoundaries.js";
import { generate } from "../src/generate.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { loadManifest } from "../src/manifest.js";
import { loadModelConfig } from "../src/modelConfig.js";
import { ShardSession } from "../src/ShardSession.js";
import { shardModel } from "../src/shardModel.js";
import { BENCH_PROMPT, BENCH_SHAPE } from "./benchModel.js";

const here = dirname(fileURLToPath(import.meta.url));
const modelsDir = resolve(here, "../.models");
const benchModel = join(modelsDir, "bench");
const resultsFile = resolve(here, "../../../bench-results/inference.json");
const SHARD_COUNTS = [1, 2, 4];
const NEW_TOKENS = 128;

type WorkerResult = {
  /** Per run: decode tokens / decode time. */
  tokensPerSecond: number[];
  /** Every decode step's duration (ms), for a median that ignores bursts of load from other processes. */
  stepMs: number[];
  /**
   * Per run: process CPU time (user + system, all threads) per decode step, ms. Unlike wall time it does not
   * count time spent waiting for a core, so it holds steadier on a shared machine.
   */
  cpuMsPerToken: number[];
  maxRssBytes: number;
  tokens: number[];
  kvBytesPerToken: number;
};

const { values } = parseArgs({
  options: {
    worker: { type: "string" },
    shard: { type: "string" },
    threads: { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
  },
});

const threads = Number(values.threads);

if (values.worker && values.shard) {
  process.stdout.write(JSON.stringify(await singleShardWorker(values.worker, Number(values.shard))));
} else if (values.worker) {
  process.stdout.write(JSON.stringify(await worker(values.worker, Number(values.runs))));
} else {
  await main(Number(values.rounds), Number(values.runs));
}

/** Loads one shard chain, warms up, then times `runs` greedy generations of 128 tokens. */
async function worker(dir: string, runs: number): Promise<WorkerResult> {
  const manifest = await loadManifest(dir);
  const shards = await Promise.all(
    manifest.shards.map((_, shardIndex) =>
      ShardSession.create({ dir, shardIndex, manifest, verify: false, intraOpNumThreads: threads }),
    ),
  );
  await generate({ shards, promptIds: BENCH_PROMPT, maxTokens: 8 });
  const tokensPerSecond: number[] = [];
  const stepMs: number[] = [];
  const cpuMsPerToken: number[] = [];
  let tokens: number[] = [];
  for (let run = 0; run < runs; run++) {
    const times: number[] = [];
    const cpu: number[] = [];
    const out = await generate({
      shards,
      promptIds: BENCH_PROMPT,
      maxTokens: NEW_TOKENS,
      onToken: () => {
        times.push(performance.now());
        const usage = process.cpuUsage();
        cpu.push((usage.user + usage.system) / 1000);
      },
    });
    cpuMsPerToken.push((cpu.at(-1)! - cpu[0]!) / (cpu.length - 1));
    tokens = out.tokens;
    // Decode rate only: the first token comes from prefill, each later one from one decode step.
    tokensPerSecond.push(((times.length - 1) * 1000) / (times.at(-1)! - times[0]!));
    for (let i = 1; i < times.length; i++) stepMs.push(times[i]! - times[i - 1]!);
  }
  const kvBytesPerToken = shards.reduce((n, s) => n + s.kvBytesPerToken, 0);
  return {
    tokensPerSecond,
    stepMs,
    cpuMsPerToken,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    tokens,
    kvBytesPerToken,
  };
}

/** Peak RSS of a process serving only shard `shardIndex` for a prompt and 128 decode steps. */
async function singleShardWorker(dir: string, shardIndex: number): Promise<{ maxRssBytes: number }> {
  const manifest = await loadManifest(dir);
  const shard = await ShardSession.create({
    dir,
    shardIndex,
    manifest,
    verify: false,
    intraOpNumThreads: threads,
  });
  const hidden = (positions: number) => new Float32Array(positions * manifest.hiddenSize).fill(0.5);
  const step = (ids: number[]) =>
    shard.forward(shard.isFirst ? { inputIds: ids } : { hiddenStates: hidden(ids.length) });
  await step(BENCH_PROMPT);
  for (let i = 0; i < NEW_TOKENS; i++) await step([i + 1]);
  return { maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

async function main(rounds: number, runs: number): Promise<void> {
  if (!existsSync(join(benchModel, "config.json"))) {
    console.log(`generating the bench model in ${benchModel} ...`);
    makeTestModel({ dir: benchModel, ...BENCH_SHAPE });
  }
  const config = loadModelConfig(benchModel);
  const dirs = new Map<number, string>();
  for (const count of SHARD_COUNTS) {
    const dir = join(modelsDir, `bench-shards-${count}`);
    if (!existsSync(join(dir, "manifest.json"))) {
      await shardModel({ modelDir: benchModel, outDir: dir, boundaries: balancedBoundaries(config, count) });
    }
    dirs.set(count, dir);
  }
  const results = new Map<number, WorkerResult[]>();
  for (let round = 0; round < rounds; round++) {
    for (const count of SHARD_COUNTS) {
      const output = execFileSync(
        process.execPath,
        [...childArgs(dirs.get(count)!), "--runs", String(runs)],
        { encoding: "utf8", maxBuffer: 1 << 24 },
      );
      results.set(count, [...(results.get(count) ?? []), JSON.parse(output) as WorkerResult]);
      console.log(`round ${round + 1}/${rounds}: ${count} shard(s) done`);
    }
  }
  const shardRss = new Map<number, number[]>();
  for (const count of SHARD_COUNTS) {
    const rss = Array.from({ length: count }, (_, i) => {
      const output = execFileSync(process.execPath, [...childArgs(dirs.get(count)!), "--shard", String(i)], {
        encoding: "utf8",
      });
      return (JSON.parse(output) as { maxRssBytes: number }).maxRssBytes;
    });
    shardRss.set(count, rss);
  }
  await report(config, dirs, results, shardRss);
}

function childArgs(dir: string): string[] {
  return ["--import", "tsx", fileURLToPath(import.meta.url), "--worker", dir, "--threads", String(threads)];
}

async function report(
  config: ReturnType<typeof loadModelConfig>,
  dirs: Map<number, string>,
  results: Map<number, WorkerResult[]>,
  shardRss: Map<number, number[]>,
): Promise<void> {
  const stepRate = (count: number) => 1000 / median(results.get(count)!.flatMap((r) => r.stepMs));
  const baseline = stepRate(1);
  const cpuPerToken = (count: number) => median(results.get(count)!.flatMap((r) => r.cpuMsPerToken));
  const referenceTokens = results.get(1)![0]!.tokens;
  const rows = [];
  for (const count of SHARD_COUNTS) {
    const manifest = await loadManifest(dirs.get(count)!);
    const rates = results.get(count)!.flatMap((r) => r.tokensPerSecond);
    const weights = manifest.shards.map((s) => s.files.reduce((n, f) => n + f.bytes, 0));
    const total = weights.reduce((a, b) => a + b, 0);
    rows.push({
      shards: count,
      layerRanges: manifest.shards.map((s) => [s.layerStart, s.layerEnd]),
      decodeTokensPerSecond: {
        fromMedianStep: round(stepRate(count)),
        medianOfRuns: round(median(rates)),
        minOfRuns: round(Math.min(...rates)),
        maxOfRuns: round(Math.max(...rates)),
        runs: rates.map((r) => round(r)),
      },
      relativeToUnsharded: round(stepRate(count) / baseline, 4),
      cpuMsPerToken: round(cpuPerToken(count), 3),
      cpuRelativeToUnsharded: round(cpuPerToken(count) / cpuPerToken(1), 4),
      peakRssMiB: round(Math.max(...results.get(count)!.map((r) => r.maxRssBytes)) / 2 ** 20, 1),
      singleShardProcessPeakRssMiB: shardRss.get(count)!.map((b) => round(b / 2 ** 20, 1)),
      shardWeightBytes: weights,
      shardWeightFractions: weights.map((w) => round(w / total, 3)),
      kvCacheBytesPerToken: results.get(count)![0]!.kvBytesPerToken,
      sameGreedyTokensAsUnsharded: results
        .get(count)!
        .every((r) => r.tokens.join() === referenceTokens.join()),
    });
  }
  const parameters = paramCount(config);
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, intraOpThreads: threads },
    model: { ...BENCH_SHAPE, parameters },
    newTokens: NEW_TOKENS,
    promptTokens: BENCH_PROMPT.length,
    rows,
  };
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
  console.log(
    `\nbench model: ${(parameters / 1e6).toFixed(1)}M parameters, greedy, ${NEW_TOKENS} new tokens`,
  );
  console.table(
    rows.map((r) => ({
      shards: r.shards,
      "tok/s (median step)": r.decodeTokensPerSecond.fromMedianStep,
      "tok/s runs: median (min–max)": `${r.decodeTokensPerSecond.medianOfRuns} (${r.decodeTokensPerSecond.minOfRuns}–${r.decodeTokensPerSecond.maxOfRuns})`,
      "vs unsharded": r.relativeToUnsharded,
      "CPU ms/token": r.cpuMsPerToken,
      "CPU vs unsharded": r.cpuRelativeToUnsharded,
      "peak RSS MiB": r.peakRssMiB,
      "RSS MiB, one shard per process": r.singleShardProcessPeakRssMiB.join(" / "),
      "weight fraction per shard": r.shardWeightFractions.join(" / "),
      "KV bytes/token": r.kvCacheBytesPerToken,
      "same tokens": r.sameGreedyTokensAsUnsharded,
    })),
  );
  console.log(`written to ${resultsFile}`);
}

function paramCount(config: ReturnType<typeof loadModelConfig>): number {
  const {
    hiddenSize: h,
    intermediateSize: i,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: v,
    numLayers,
  } = config;
  const layer = 2 * h + 2 * h * numHeads * headDim + 2 * h * numKvHeads * headDim + 3 * h * i;
  return numLayers * layer + h + v * h * (config.tieWordEmbeddings ? 1 : 2);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}
