/**
 * Decode throughput and peak memory of the unsharded bench model vs 2 and 4 shards chained in one process.
 *   tsx packages/inference/scripts/bench.ts [--rounds 3] [--runs 3] [--threads 1] [--quant int4] [--block-size 32]
 *
 * `--quant` shards the bench model in that weight format (fp32 by default) and writes
 * bench-results/inference-<format>.json; formats are compared across separate runs, so unpaired.
 *
 * Method: paired steps. On a small shared machine the speed of separate runs drifts by ±20% (other processes,
 * memory bandwidth), more than the few percent a shard boundary costs. So each round is one child process that
 * loads every configuration side by side, each with its own KV cache, and decodes them in lockstep: step t of
 * every configuration back to back, in an order that rotates and reverses every step. Each step of a sharded
 * chain is thus paired with the same step of the unsharded model, taken within a few tens of milliseconds, and
 * the per-step time ratio cancels the drift. The headline is the median of those ratios over all steps, runs and
 * rounds, with their interquartile range and the per-round medians as the spread; tokens/s is 1000 / the median
 * step time. Rounds rotate the order in which the configurations are loaded, because the configuration loaded
 * last measured ~2% faster than an identical one loaded first. CPU ms/token is the process's CPU time (all
 * threads) across each step, which belongs to one configuration because steps never overlap.
 *
 * Memory cannot be told apart inside a shared process, so further children measure it: one per configuration
 * running a greedy generation alone (peak RSS of the chain; its tokens must equal the paired run's), and one per
 * shard serving only that shard, as a runner would. Results: bench-results/inference.json and a table.
 * One intra-op thread by default: on a small shared machine a second thread mostly measures contention.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { balancedBoundaries } from "../src/balancedBoundaries.js";
import { forwardChain, generate } from "../src/generate.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { loadManifest } from "../src/manifest.js";
import { loadModelConfig } from "../src/modelConfig.js";
import { weightsSpecOf } from "../src/quantize.js";
import { ShardSession } from "../src/ShardSession.js";
import { argmax } from "../src/sample.js";
import { shardModel } from "../src/shardModel.js";
import { BENCH_PROMPT, BENCH_SHAPE } from "./benchModel.js";

const here = dirname(fileURLToPath(import.meta.url));
const modelsDir = resolve(here, "../.models");
const benchModel = join(modelsDir, "bench");

const SHARD_COUNTS = [1, 2, 4];
const NEW_TOKENS = 128;
const WARMUP_TOKENS = 8;

/** One round's measurements of one configuration; index i of every array is decode step i of some run. */
type Series = {
  /** Wall time of each decode step (ms). */
  stepMs: number[];
  /** Process CPU time (user + system, all threads) of each decode step (ms). */
  cpuMs: number[];
  /** Per run: decode tokens / decode time. */
  tokensPerSecond: number[];
  /** The greedy tokens of the last run. */
  tokens: number[];
};
type RoundResult = Record<number, Series>;
/** A configuration's chain run alone: its peak RSS, its greedy tokens (via `generate`) and its KV cache size. */
type ChainMemory = { maxRssBytes: number; tokens: number[]; kvBytesPerToken: number };

const { values } = parseArgs({
  options: {
    round: { type: "string" },
    memory: { type: "string" },
    shard: { type: "string" },
    threads: { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
    quant: { type: "string", default: "fp32" },
    "block-size": { type: "string", default: "32" },
  },
});

const threads = Number(values.threads);
const weights = weightsSpecOf(values.quant, Number(values["block-size"]));
const formatLabel = weights.format === "fp32" ? "" : `-${weights.format}-${weights.blockSize}`;
const resultsFile = resolve(
  here,
  `../../../bench-results/inference${weights.format === "fp32" ? "" : `-${weights.format}`}.json`,
);

if (values.memory && values.shard) {
  process.stdout.write(JSON.stringify(await singleShardWorker(values.memory, Number(values.shard))));
} else if (values.memory) {
  process.stdout.write(JSON.stringify(await chainMemoryWorker(values.memory)));
} else if (values.round) {
  process.stdout.write(JSON.stringify(await roundWorker(Number(values.round), Number(values.runs))));
} else {
  await main(Number(values.rounds), Number(values.runs));
}

function openChain(dir: string): Promise<ShardSession[]> {
  return loadManifest(dir).then((manifest) =>
    Promise.all(
      manifest.shards.map((_, shardIndex) =>
        ShardSession.create({ dir, shardIndex, manifest, verify: false, intraOpNumThreads: threads }),
      ),
    ),
  );
}

/**
 * Loads every configuration (in an order rotated by `round`), warms each up, then runs `runs` greedy generations
 * of 128 tokens of all configurations in lockstep, timing every decode step of each.
 */
async function roundWorker(round: number, runs: number): Promise<RoundResult> {
  const loadOrder = rotate(SHARD_COUNTS, round);
  const chains = new Map<number, ShardSession[]>();
  for (const count of loadOrder) chains.set(count, await openChain(shardDir(count)));
  await lockstep(chains, WARMUP_TOKENS, 0);
  const result: RoundResult = {};
  for (const count of SHARD_COUNTS)
    result[count] = { stepMs: [], cpuMs: [], tokensPerSecond: [], tokens: [] };
  for (let run = 0; run < runs; run++) {
    const steps = await lockstep(chains, NEW_TOKENS, run);
    for (const [count, { stepMs, cpuMs, tokens }] of steps) {
      const series = result[count]!;
      series.stepMs.push(...stepMs);
      series.cpuMs.push(...cpuMs);
      series.tokensPerSecond.push((stepMs.length * 1000) / stepMs.reduce((a, b) => a + b, 0));
      series.tokens = tokens;
    }
  }
  return result;
}

/**
 * Greedy generation of `maxTokens` on every chain at once: prefill each (untimed), then per decode step run every
 * chain once, in an order rotated by the step and the run and reversed on odd steps, so that no configuration is
 * always first or always follows the same other one.
 */
async function lockstep(
  chains: Map<number, ShardSession[]>,
  maxTokens: number,
  run: number,
): Promise<Map<number, { stepMs: number[]; cpuMs: number[]; tokens: number[] }>> {
  const counts = [...chains.keys()];
  const sessionId = randomUUID();
  const state = new Map(
    counts.map((count) => [count, { stepMs: [] as number[], cpuMs: [] as number[], tokens: [] as number[] }]),
  );
  for (const count of counts) {
    const logits = await forwardChain(chains.get(count)!, { sessionId, inputIds: BENCH_PROMPT });
    state.get(count)!.tokens.push(argmax(logits));
  }
  for (let step = 1; step < maxTokens; step++) {
    const order = rotate(counts, step + run);
    for (const count of step % 2 ? order.reverse() : order) {
      const s = state.get(count)!;
      const cpu = process.cpuUsage();
      const start = performance.now();
      const logits = await forwardChain(chains.get(count)!, { sessionId, inputIds: [s.tokens.at(-1)!] });
      s.stepMs.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      s.cpuMs.push((used.user + used.system) / 1000);
      s.tokens.push(argmax(logits));
    }
  }
  for (const shards of chains.values()) for (const shard of shards) shard.drop(sessionId);
  return state;
}

/** Peak RSS of a process running one configuration's chain alone through a greedy generation of 128 tokens. */
async function chainMemoryWorker(dir: string): Promise<ChainMemory> {
  const shards = await openChain(dir);
  const { tokens } = await generate({ shards, promptIds: BENCH_PROMPT, maxTokens: NEW_TOKENS });
  const kvBytesPerToken = shards.reduce((n, s) => n + s.kvBytesPerToken, 0);
  return { maxRssBytes: process.resourceUsage().maxRSS * 1024, tokens, kvBytesPerToken };
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

function shardDir(count: number): string {
  return join(modelsDir, `bench-shards-${count}${formatLabel}`);
}

async function main(rounds: number, runs: number): Promise<void> {
  if (!existsSync(join(benchModel, "config.json"))) {
    console.log(`generating the bench model in ${benchModel} ...`);
    makeTestModel({ dir: benchModel, ...BENCH_SHAPE });
  }
  const config = loadModelConfig(benchModel);
  for (const count of SHARD_COUNTS) {
    const dir = shardDir(count);
    if (!existsSync(join(dir, "manifest.json"))) {
      await shardModel({
        modelDir: benchModel,
        outDir: dir,
        boundaries: balancedBoundaries(config, count),
        ...weights,
      });
    }
  }
  const results: RoundResult[] = [];
  for (let round = 0; round < rounds; round++) {
    results.push(child<RoundResult>(["--round", String(round), "--runs", String(runs)]));
    console.log(`round ${round + 1}/${rounds} done`);
  }
  const chainMemory = new Map<number, ChainMemory>();
  const shardRss = new Map<number, number[]>();
  for (const count of SHARD_COUNTS) {
    chainMemory.set(count, child<ChainMemory>(["--memory", shardDir(count)]));
    const rss = Array.from(
      { length: count },
      (_, i) =>
        child<{ maxRssBytes: number }>(["--memory", shardDir(count), "--shard", String(i)]).maxRssBytes,
    );
    shardRss.set(count, rss);
  }
  await report(config, results, chainMemory, shardRss);
}

function child<T>(args: string[]): T {
  const output = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      ...args,
      "--threads",
      String(threads),
      "--quant",
      weights.format,
      "--block-size",
      String(values["block-size"]),
    ],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  return JSON.parse(output) as T;
}

async function report(
  config: ReturnType<typeof loadModelConfig>,
  results: RoundResult[],
  chainMemory: Map<number, ChainMemory>,
  shardRss: Map<number, number[]>,
): Promise<void> {
  const pooled = (count: number, key: "stepMs" | "cpuMs") => results.flatMap((r) => r[count]![key]);
  const paired = (round: RoundResult, count: number) =>
    round[count]!.stepMs.map((ms, i) => ms / round[1]!.stepMs[i]!);
  const referenceTokens = results[0]![1]!.tokens;
  const rows = [];
  for (const count of SHARD_COUNTS) {
    const manifest = await loadManifest(shardDir(count));
    const ratios = results.flatMap((r) => paired(r, count));
    const stepMs = median(pooled(count, "stepMs"));
    const rates = results.flatMap((r) => r[count]!.tokensPerSecond);
    const weights = manifest.shards.map((s) => s.files.reduce((n, f) => n + f.bytes, 0));
    const total = weights.reduce((a, b) => a + b, 0);
    const cpuMs = median(pooled(count, "cpuMs"));
    rows.push({
      shards: count,
      layerRanges: manifest.shards.map((s) => [s.layerStart, s.layerEnd]),
      medianStepMs: round(stepMs, 3),
      decodeTokensPerSecond: round(1000 / stepMs),
      stepTimeVsUnsharded: {
        median: round(median(ratios), 4),
        interquartileRange: [round(quantile(ratios, 0.25), 4), round(quantile(ratios, 0.75), 4)],
        perRoundMedians: results.map((r) => round(median(paired(r, count)), 4)),
        pairedSteps: ratios.length,
      },
      tokensPerSecondVsUnsharded: round(1 / median(ratios), 4),
      tokensPerSecondPerRun: {
        median: round(median(rates)),
        min: round(Math.min(...rates)),
        max: round(Math.max(...rates)),
      },
      cpuMsPerToken: round(cpuMs, 3),
      cpuVsUnsharded: round(cpuMs / median(pooled(1, "cpuMs")), 4),
      peakRssMiB: round(chainMemory.get(count)!.maxRssBytes / 2 ** 20, 1),
      singleShardProcessPeakRssMiB: shardRss.get(count)!.map((b) => round(b / 2 ** 20, 1)),
      shardWeightBytes: weights,
      shardWeightFractions: weights.map((w) => round(w / total, 3)),
      kvCacheBytesPerToken: chainMemory.get(count)!.kvBytesPerToken,
      sameGreedyTokensAsUnsharded:
        results.every((r) => r[count]!.tokens.join() === referenceTokens.join()) &&
        chainMemory.get(count)!.tokens.join() === referenceTokens.join(),
    });
  }
  const parameters = paramCount(config);
  const out = {
    date: new Date().toISOString(),
    method:
      "paired: all configurations loaded in each round's process and decoded in lockstep; ratios are per decode step against the unsharded model",
    machine: { cpus: cpus().length, node: process.version, intraOpThreads: threads },
    model: { ...BENCH_SHAPE, parameters },
    weights,
    newTokens: NEW_TOKENS,
    promptTokens: BENCH_PROMPT.length,
    rounds: results.length,
    runsPerRound: results[0]![1]!.tokensPerSecond.length,
    rows,
  };
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
  console.log(
    `\nbench model: ${(parameters / 1e6).toFixed(1)}M parameters, ${weights.format} weights, greedy, ${NEW_TOKENS} new tokens, ` +
      `${out.rounds} rounds × ${out.runsPerRound} runs, paired steps`,
  );
  console.table(
    rows.map((r) => ({
      shards: r.shards,
      "median step ms": r.medianStepMs,
      "tok/s": r.decodeTokensPerSecond,
      "step time vs unsharded: median (IQR)": `${r.stepTimeVsUnsharded.median} (${r.stepTimeVsUnsharded.interquartileRange.join("–")})`,
      "per-round medians": r.stepTimeVsUnsharded.perRoundMedians.join(" / "),
      "CPU ms/token": r.cpuMsPerToken,
      "CPU vs unsharded": r.cpuVsUnsharded,
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

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

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
