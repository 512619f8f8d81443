/**
 * Decode throughput and peak memory of the bench model: TeeTee fp32 unsharded vs 2 and 4 shards chained in one
 * process, and TeeTee int8 and int4 (block 32) unsharded, beside llama.cpp (node-llama-cpp, CPU) on the same
 * weights as GGUF F32, F16, Q8_0 and Q4_0, at 1 and 2 threads; and how far the quantized next-token distributions
 * (TeeTee's int8/int4, llama.cpp's Q8_0/Q4_0) move from llama.cpp F32's.
 *   tsx packages/inference/scripts/bench.ts [--rounds 3] [--runs 3] [--threads 1,2]
 *   tsx packages/inference/scripts/bench.ts --kv [--rounds 3] [--threads 1]   (the KV cache layouts: benchKv.ts)
 *
 * Method: paired steps. On a small shared machine the speed of separate runs drifts by ±20% (other processes,
 * memory bandwidth), more than the few percent a shard boundary costs. So each round is one child process that
 * loads every configuration side by side, each with its own KV cache, and decodes them in lockstep: step t of
 * every configuration back to back, in an order that rotates and reverses every step. Each step of every
 * configuration is thus paired with the same step of TeeTee's unsharded model, taken within a few tens of
 * milliseconds, and the per-step time ratio cancels the drift. The headline is the median of those ratios over
 * all steps, runs and rounds, with their interquartile range and the per-round medians as the spread; tokens/s
 * is 1000 / the median step time. Rounds rotate the order in which the configurations are loaded, because the
 * configuration loaded last measured ~2% faster than an identical one loaded first. CPU ms/token is the
 * process's CPU time (all threads, llama.cpp's included: it runs in-process) across each step, which belongs to
 * one configuration because steps never overlap. The load average is recorded around every round.
 *
 * Memory cannot be told apart inside a shared process, so further children measure it: one per configuration
 * running a greedy generation alone (peak RSS; TeeTee's tokens must equal the paired run's), and one per TeeTee
 * shard serving only that shard, as a runner would. A last child measures distribution quality on random
 * contexts. Results: bench-results/inference.json and a table per thread count.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { balancedBoundaries } from "../src/balancedBoundaries.js";
import { BENCH_PROMPT, BENCH_SHAPE } from "../src/benchModel.js";
import { forwardChain, generate } from "../src/generate.js";
import type { GgmlType } from "../src/gguf/ggmlTypes.js";
import { writeModelGguf } from "../src/gguf/writeModelGguf.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { loadManifest } from "../src/manifest.js";
import { loadModelConfig } from "../src/modelConfig.js";
import { weightsSpecOf } from "../src/quantize.js";
import { ShardSession } from "../src/ShardSession.js";
import { shardModel } from "../src/shardModel.js";
import { benchKv } from "./benchKv.js";
import { type Decoder, llamaCppDecoder, teeteeDecoder } from "./lib/benchDecoders.js";
import { agreement, llamaCppDistributions, randomContexts, softmaxRows } from "./lib/benchQuality.js";
import { llamaCppGenerate, loadLlamaCpp, openLlamaCpp } from "./lib/llamaCpp.js";
import { lockstep, pairedRatios, ratioSummary } from "./lib/lockstep.js";
import { median, rotate, round } from "./lib/stats.js";

const here = dirname(fileURLToPath(import.meta.url));
const modelsDir = resolve(here, "../.models");
const benchModel = join(modelsDir, "bench");
const resultsFile = resolve(here, "../../../bench-results/inference.json");
const SHARD_COUNTS = [1, 2, 4];
const GGUF_TYPES: GgmlType[] = ["F32", "F16", "Q8_0", "Q4_0"];
const NEW_TOKENS = 128;
const WARMUP_TOKENS = 8;
const CONTEXT_SIZE = 256;
const QUALITY = { seed: 7, contexts: 4, length: 64 };

/** TeeTee's quantized weight formats, unsharded, beside llama.cpp's Q8_0 and Q4_0 (block 32 as theirs). */
const QUANT_FORMATS = ["int8", "int4"] as const;
const QUANT_BLOCK_SIZE = 32;

/** A configuration: TeeTee in a weight format over `shards` shards, or llama.cpp on one GGUF file. */
type Config =
  | { key: string; engine: "teetee"; shards: number; format: "fp32" | (typeof QUANT_FORMATS)[number] }
  | { key: string; engine: "llama.cpp"; type: GgmlType };
const CONFIGS: Config[] = [
  ...SHARD_COUNTS.map((shards) => ({
    key: `teetee-fp32-x${shards}`,
    engine: "teetee" as const,
    shards,
    format: "fp32" as const,
  })),
  ...QUANT_FORMATS.map((format) => ({
    key: `teetee-${format}-x1`,
    engine: "teetee" as const,
    shards: 1,
    format,
  })),
  ...GGUF_TYPES.map((type) => ({ key: `llama.cpp-${type}`, engine: "llama.cpp" as const, type })),
];
const REFERENCE = "teetee-fp32-x1";

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
type RoundResult = { series: Record<string, Series>; loadAverage: { before: number[]; after: number[] } };
/** A configuration run alone: its peak RSS, its greedy tokens and (TeeTee) its KV cache size. */
type Memory = { maxRssBytes: number; tokens: number[]; kvBytesPerToken?: number };
type Quality = Record<string, ReturnType<typeof agreement>>;

const { values } = parseArgs({
  options: {
    round: { type: "string" },
    memory: { type: "string" },
    shard: { type: "string" },
    quality: { type: "boolean" },
    threads: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
    kv: { type: "boolean" },
    scenario: { type: "string" },
  },
});

const threadCounts = values.threads.split(",").map(Number);
const threads = threadCounts[0]!;

if (values.kv) {
  await benchKv({ rounds: Number(values.rounds), threads, round: values.round, scenario: values.scenario });
} else if (values.memory && values.shard) {
  const config = configOf(values.memory);
  if (config.engine !== "teetee") throw new Error(`--shard needs a TeeTee configuration, not ${config.key}`);
  process.stdout.write(JSON.stringify(await singleShardWorker(shardDir(config), Number(values.shard))));
} else if (values.memory) {
  process.stdout.write(JSON.stringify(await memoryWorker(configOf(values.memory))));
} else if (values.quality) {
  process.stdout.write(JSON.stringify(await qualityWorker()));
} else if (values.round) {
  process.stdout.write(JSON.stringify(await roundWorker(Number(values.round), Number(values.runs))));
} else {
  await main(Number(values.rounds), Number(values.runs));
}

function configOf(key: string): Config {
  const config = CONFIGS.find((c) => c.key === key);
  if (!config)
    throw new Error(`unknown configuration ${key}; known: ${CONFIGS.map((c) => c.key).join(", ")}`);
  return config;
}

async function openDecoder(
  config: Config,
  llama: Awaited<ReturnType<typeof loadLlamaCpp>>,
): Promise<Decoder> {
  return config.engine === "teetee"
    ? teeteeDecoder(shardDir(config), threads)
    : llamaCppDecoder(llama, ggufPath(config.type), { threads, contextSize: CONTEXT_SIZE });
}

/**
 * Loads every configuration (in an order rotated by `round`), warms each up, then runs `runs` greedy generations
 * of 128 tokens of all configurations in lockstep, timing every decode step of each.
 */
async function roundWorker(round: number, runs: number): Promise<RoundResult> {
  const before = loadavg();
  const llama = await loadLlamaCpp();
  const decoders = new Map<string, Decoder>();
  for (const config of rotate(CONFIGS, round)) decoders.set(config.key, await openDecoder(config, llama));
  await lockstep(decoders, BENCH_PROMPT, WARMUP_TOKENS, 0);
  const series: Record<string, Series> = {};
  for (const { key } of CONFIGS) series[key] = { stepMs: [], cpuMs: [], tokensPerSecond: [], tokens: [] };
  for (let run = 0; run < runs; run++) {
    for (const [key, { stepMs, cpuMs, tokens }] of await lockstep(decoders, BENCH_PROMPT, NEW_TOKENS, run)) {
      const s = series[key]!;
      s.stepMs.push(...stepMs);
      s.cpuMs.push(...cpuMs);
      s.tokensPerSecond.push((stepMs.length * 1000) / stepMs.reduce((a, b) => a + b, 0));
      s.tokens = tokens;
    }
  }
  for (const decoder of decoders.values()) await decoder.close();
  return { series, loadAverage: { before, after: loadavg() } };
}

/** Peak RSS of a process running one configuration alone through a greedy generation of 128 tokens. */
async function memoryWorker(config: Config): Promise<Memory> {
  if (config.engine === "llama.cpp") {
    const session = await openLlamaCpp(await loadLlamaCpp(), ggufPath(config.type), {
      threads,
      contextSize: CONTEXT_SIZE,
    });
    const tokens = await llamaCppGenerate(session.sequence, BENCH_PROMPT, NEW_TOKENS);
    return { maxRssBytes: process.resourceUsage().maxRSS * 1024, tokens };
  }
  const { shards } = await teeteeDecoder(shardDir(config), threads);
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

/**
 * Next-token distributions at every position of random contexts, from llama.cpp at each GGUF type and from
 * TeeTee fp32, int8 and int4, each compared with llama.cpp F32's: mean and max KL divergence and top-1 agreement.
 */
async function qualityWorker(): Promise<Quality> {
  const { vocabSize } = loadModelConfig(benchModel);
  const contexts = randomContexts(QUALITY.seed, QUALITY.contexts, QUALITY.length, vocabSize);
  const llama = await loadLlamaCpp();
  const rows: Record<string, Float64Array[]> = {};
  for (const type of GGUF_TYPES) {
    const session = await openLlamaCpp(llama, ggufPath(type), { threads, contextSize: CONTEXT_SIZE });
    rows[`llama.cpp-${type}`] = [];
    for (const context of contexts)
      rows[`llama.cpp-${type}`]!.push(...(await llamaCppDistributions(session.sequence, context, vocabSize)));
    await session.dispose();
  }
  for (const key of [REFERENCE, ...QUANT_FORMATS.map((format) => `teetee-${format}-x1`)]) {
    const { shards } = await teeteeDecoder(shardDir(configOf(key)), threads);
    rows[key] = [];
    for (const [i, context] of contexts.entries()) {
      const logits = await forwardChain(shards, {
        sessionId: `quality-${i}`,
        inputIds: context,
        logits: "all",
      });
      rows[key]!.push(...softmaxRows(logits, vocabSize));
    }
  }
  const reference = rows["llama.cpp-F32"]!;
  return Object.fromEntries(
    Object.entries(rows)
      .filter(([key]) => key !== "llama.cpp-F32")
      .map(([key, candidate]) => [key, agreement(reference, candidate)]),
  );
}

function shardDir(config: Config): string {
  if (config.engine !== "teetee") throw new Error(`${config.key} has no TeeTee shards`);
  const format = config.format === "fp32" ? "" : `-${config.format}-${QUANT_BLOCK_SIZE}`;
  return join(modelsDir, `bench-shards-${config.shards}${format}`);
}

function ggufPath(type: GgmlType): string {
  return join(modelsDir, "bench-gguf", `bench-${type}.gguf`);
}

async function prepareModels(): Promise<void> {
  if (!existsSync(join(benchModel, "config.json"))) {
    console.log(`generating the bench model in ${benchModel} ...`);
    makeTestModel({ dir: benchModel, ...BENCH_SHAPE });
  }
  const config = loadModelConfig(benchModel);
  for (const teetee of CONFIGS) {
    if (teetee.engine !== "teetee") continue;
    const dir = shardDir(teetee);
    if (!existsSync(join(dir, "manifest.json"))) {
      await shardModel({
        modelDir: benchModel,
        outDir: dir,
        boundaries: balancedBoundaries(config, teetee.shards),
        ...weightsSpecOf(teetee.format, QUANT_BLOCK_SIZE),
      });
    }
  }
  mkdirSync(dirname(ggufPath("F32")), { recursive: true });
  for (const type of GGUF_TYPES) {
    if (!existsSync(ggufPath(type))) {
      console.log(`writing ${ggufPath(type)} ...`);
      writeModelGguf({ modelDir: benchModel, outPath: ggufPath(type), type });
    }
  }
}

async function main(rounds: number, runs: number): Promise<void> {
  await prepareModels();
  const byThreads = [];
  for (const count of threadCounts) {
    const results: RoundResult[] = [];
    for (let round = 0; round < rounds; round++) {
      results.push(child<RoundResult>(["--round", String(round), "--runs", String(runs)], count));
      console.log(`${count} thread(s): round ${round + 1}/${rounds} done`);
    }
    byThreads.push({ threads: count, results });
  }
  const memory = new Map(CONFIGS.map((c) => [c.key, child<Memory>(["--memory", c.key], threadCounts[0]!)]));
  const shardRss = new Map(
    CONFIGS.flatMap((c) =>
      c.engine !== "teetee"
        ? []
        : [
            [
              c.key,
              Array.from(
                { length: c.shards },
                (_, i) =>
                  child<{ maxRssBytes: number }>(["--memory", c.key, "--shard", String(i)], threadCounts[0]!)
                    .maxRssBytes,
              ),
            ] as const,
          ],
    ),
  );
  console.log("measuring distributions on random contexts ...");
  const quality = child<Quality>(["--quality"], threadCounts.at(-1)!);
  await report(byThreads, memory, shardRss, quality);
}

function child<T>(args: string[], threadCount: number): T {
  const output = execFileSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), ...args, "--threads", String(threadCount)],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  return JSON.parse(output) as T;
}

type ThreadRun = { threads: number; results: RoundResult[] };

/** Per-step ratios of `key`'s step time to TeeTee unsharded's, paired by step index within one round. */
function paired(round: RoundResult, key: string): number[] {
  return pairedRatios(round.series[key]!.stepMs, round.series[REFERENCE]!.stepMs);
}

function speedRow(run: ThreadRun, config: Config) {
  const { results } = run;
  const pooled = (key: string, field: "stepMs" | "cpuMs") => results.flatMap((r) => r.series[key]![field]);
  const ratios = results.flatMap((r) => paired(r, config.key));
  const stepMs = median(pooled(config.key, "stepMs"));
  const rates = results.flatMap((r) => r.series[config.key]!.tokensPerSecond);
  const cpuMs = median(pooled(config.key, "cpuMs"));
  const referenceTokens = results[0]!.series[REFERENCE]!.tokens.join();
  return {
    key: config.key,
    medianStepMs: round(stepMs, 3),
    decodeTokensPerSecond: round(1000 / stepMs),
    stepTimeVsTeeteeUnsharded: ratioSummary(results.map((r) => paired(r, config.key))),
    tokensPerSecondVsTeeteeUnsharded: round(1 / median(ratios), 4),
    tokensPerSecondPerRun: {
      median: round(median(rates)),
      min: round(Math.min(...rates)),
      max: round(Math.max(...rates)),
    },
    cpuMsPerToken: round(cpuMs, 3),
    cpuVsTeeteeUnsharded: round(cpuMs / median(pooled(REFERENCE, "cpuMs")), 4),
    sameGreedyTokensAsTeeteeUnsharded: results.every(
      (r) => r.series[config.key]!.tokens.join() === referenceTokens,
    ),
  };
}

async function configurationFacts(config: Config, memory: Memory, shardRss: Map<string, number[]>) {
  const common = {
    key: config.key,
    engine: config.engine,
    peakRssMiB: round(memory.maxRssBytes / 2 ** 20, 1),
  };
  if (config.engine === "llama.cpp") {
    return { ...common, format: config.type, weightBytes: statSync(ggufPath(config.type)).size };
  }
  const manifest = await loadManifest(shardDir(config));
  const weights = manifest.shards.map((s) => s.files.reduce((n, f) => n + f.bytes, 0));
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    ...common,
    format: config.format,
    shards: config.shards,
    layerRanges: manifest.shards.map((s) => [s.layerStart, s.layerEnd]),
    weightBytes: total,
    shardWeightFractions: weights.map((w) => round(w / total, 3)),
    singleShardProcessPeakRssMiB: shardRss.get(config.key)!.map((b) => round(b / 2 ** 20, 1)),
    kvCacheBytesPerToken: memory.kvBytesPerToken,
  };
}

async function report(
  byThreads: ThreadRun[],
  memory: Map<string, Memory>,
  shardRss: Map<string, number[]>,
  quality: Quality,
): Promise<void> {
  const config = loadModelConfig(benchModel);
  const parameters = paramCount(config);
  const referenceTokens = byThreads[0]!.results[0]!.series[REFERENCE]!.tokens.join();
  const configurations = await Promise.all(
    CONFIGS.map(async (c) => ({
      ...(await configurationFacts(c, memory.get(c.key)!, shardRss)),
      aloneSameGreedyTokensAsTeeteeUnsharded: memory.get(c.key)!.tokens.join() === referenceTokens,
    })),
  );
  const speed = byThreads.map((run) => ({
    threads: run.threads,
    loadAverage1m: run.results.map((r) => [
      round(r.loadAverage.before[0]!, 2),
      round(r.loadAverage.after[0]!, 2),
    ]),
    rows: CONFIGS.map((c) => speedRow(run, c)),
  }));
  const out = {
    date: new Date().toISOString(),
    method:
      "paired: all configurations loaded in each round's process and decoded in lockstep; ratios are per decode step against TeeTee's unsharded fp32 model",
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      node: process.version,
      loadAverageAtEnd: loadavg(),
    },
    llamaCpp: {
      package: "node-llama-cpp 3.21.1, prebuilt CPU binary",
      kvCache: "F16 (llama.cpp's default); TeeTee's is fp32",
      quantization:
        "every matrix (embeddings and LM head too) in the row's type, blocks of 32; norms and biases F32",
    },
    model: { ...BENCH_SHAPE, parameters },
    newTokens: NEW_TOKENS,
    promptTokens: BENCH_PROMPT.length,
    rounds: byThreads[0]!.results.length,
    runsPerRound: byThreads[0]!.results[0]!.series[REFERENCE]!.tokensPerSecond.length,
    configurations,
    speed,
    quality: {
      reference: "llama.cpp-F32",
      contexts: `${QUALITY.contexts} random contexts of ${QUALITY.length} token ids (seed ${QUALITY.seed}), every position`,
      rows: quality,
    },
  };
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
  printTables(out.rounds, out.runsPerRound, parameters, configurations, speed, quality);
}

function printTables(
  rounds: number,
  runs: number,
  parameters: number,
  configurations: Awaited<ReturnType<typeof configurationFacts>>[],
  speed: { threads: number; loadAverage1m: number[][]; rows: ReturnType<typeof speedRow>[] }[],
  quality: Quality,
): void {
  console.log(
    `\nbench model: ${(parameters / 1e6).toFixed(1)}M parameters, greedy, ${NEW_TOKENS} new tokens, ` +
      `${rounds} rounds × ${runs} runs, paired steps`,
  );
  for (const { threads: count, loadAverage1m, rows } of speed) {
    console.log(
      `\n${count} thread(s); 1-minute load average before → after each round: ${loadAverage1m.map((l) => l.join(" → ")).join(", ")}`,
    );
    console.table(
      rows.map((r) => ({
        configuration: r.key,
        "tok/s": r.decodeTokensPerSecond,
        "step time vs TeeTee x1: median (IQR)": `${r.stepTimeVsTeeteeUnsharded.median} (${r.stepTimeVsTeeteeUnsharded.interquartileRange.join("–")})`,
        "per-round medians": r.stepTimeVsTeeteeUnsharded.perRoundMedians.join(" / "),
        "tok/s per run: median (min–max)": `${r.tokensPerSecondPerRun.median} (${r.tokensPerSecondPerRun.min}–${r.tokensPerSecondPerRun.max})`,
        "wall ms/token": r.medianStepMs,
        "CPU ms/token": r.cpuMsPerToken,
        "same tokens as TeeTee x1": r.sameGreedyTokensAsTeeteeUnsharded,
      })),
    );
  }
  console.table(
    configurations.map((c) => ({
      configuration: c.key,
      "weight MB": round(c.weightBytes / 1e6),
      "peak RSS MiB, alone": c.peakRssMiB,
      "RSS MiB, one shard per process":
        "singleShardProcessPeakRssMiB" in c ? c.singleShardProcessPeakRssMiB.join(" / ") : "",
    })),
  );
  console.log("\nnext-token distributions vs llama.cpp F32 on random contexts");
  console.table(
    Object.entries(quality).map(([key, q]) => ({
      configuration: key,
      "mean KL (nats)": q.meanKl.toExponential(3),
      "max KL": q.maxKl.toExponential(3),
      "top-1 agreement": round(q.top1Agreement, 4),
      positions: q.positions,
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
