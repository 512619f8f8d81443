/**
 * Issue 14's three figures on a TinyLlama-1.1B-shaped model (the `tinyllama-1.1b` preset, random bf16 weights):
 *   pnpm bench:bigshape [--rounds 3] [--steps 64] [--threads 1] [--keep-model] [--figures shard,speed,memory]
 *     [--variants default,no-prepacking,...]
 *
 * 1. Sharding into 4 int4 shards (block 32, `balancedBoundaries`) in a child process: its peak RSS, wall and CPU
 *    time (and the same for the unsharded int4 model the other figures compare with). Goal: peak RSS <= 1 GiB.
 * 2. The in-process cost of sharding: the 4-shard int4 chain against the unsharded int4 model, both loaded in one
 *    child per round and decoded greedily in lockstep (16-token prompt, `--steps` decode steps, 1 thread), paired
 *    step by step exactly as `pnpm bench:inference` pairs its configurations (`lib/lockstep.ts`). Goal: <= 3%.
 * 3. A runner's memory: each shard, and the unsharded model, loaded alone in a fresh process with
 *    `ShardSession.create` (as the runner does), a prefill and the decode steps; peak RSS against the shard's
 *    weight bytes plus its KV cache (`kvCacheBytes`). Goal: <= +100 MiB. Then onnxruntime session options laid
 *    over `ShardSession`'s (`lib/sessionOptions.ts`), each measured the same way; an option that cuts the peak is
 *    then paired for decode speed against the default in the same process.
 *
 * The model (2.2 GB) is generated into `.models/tinyllama-1.1b` unless one whose config matches the preset is
 * there; the shards go to `.models/tinyllama-1.1b-int4-x{1,4}`. Both are deleted at the end unless
 * `--keep-model`. Without `shard` in `--figures` existing shards are reused. Results: bench-results/bigshape.json.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { balancedBoundaries } from "../src/balancedBoundaries.js";
import { BENCH_PROMPT } from "../src/benchModel.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { canonicalJson } from "../src/manifest.js";
import { loadModelConfig, parseModelConfig } from "../src/modelConfig.js";
import { MODEL_PRESETS } from "../src/modelPresets.js";
import { WeightStore } from "../src/openWeights.js";
import { shardModel } from "../src/shardModel.js";
import type { Probe } from "./bigShapeProbe.js";
import { type Decoder, teeteeDecoder } from "./lib/benchDecoders.js";
import { type DecoderSpec, modelDir, parseSpec, shardDir, specKey, WEIGHTS } from "./lib/bigShape.js";
import { lockstep, pairedRatios, ratioSummary, type StepSeries } from "./lib/lockstep.js";
import { loadAverageLine, measured, memorySnapshot } from "./lib/processMemory.js";
import {
  isSessionVariant,
  SESSION_VARIANT_NAMES,
  type SessionVariant,
  withSessionOptions,
} from "./lib/sessionOptions.js";
import { median, rotate, round } from "./lib/stats.js";

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = resolve(here, "../../../bench-results/bigshape.json");
const PRESET = MODEL_PRESETS["tinyllama-1.1b"];
const SHARD_COUNTS = [4, 1] as const;
const WARMUP_TOKENS = 4;
const MiB = 2 ** 20;
const GOALS = { shardingPeakRssMiB: 1024, shardCost: 0.03, runnerExcessMiB: 100 };
/** A variant is paired for speed when it lowers the unsharded model's peak RSS by at least this much. */
const WORTH_PAIRING_MiB = 16;
const FIGURES = ["shard", "speed", "memory"] as const;

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    steps: { type: "string", default: "64" },
    threads: { type: "string", default: "1" },
    "keep-model": { type: "boolean", default: false },
    figures: { type: "string", default: FIGURES.join(",") },
    variants: { type: "string", default: SESSION_VARIANT_NAMES.join(",") },
    // child roles
    "make-model": { type: "boolean" },
    "shard-model": { type: "string" },
    "speed-round": { type: "string" },
    configs: { type: "string" },
  },
});
const threads = Number(values.threads);
const steps = Number(values.steps);

if (values["make-model"]) emit(await measured(async () => void makeTestModel(modelSpec())));
else if (values["shard-model"]) emit(await shardWorker(Number(values["shard-model"])));
else if (values["speed-round"])
  emit(await speedRound(Number(values["speed-round"]), values.configs!.split(",")));
else await main();

function emit(value: unknown): void {
  process.stdout.write(JSON.stringify(value));
}

function modelSpec() {
  return {
    dir: modelDir,
    seed: 1,
    dtype: "BF16" as const,
    config: PRESET.config,
    generationConfig: PRESET.generationConfig,
  };
}

/** The model folder holds the preset's config and every weight at its shape, in bf16. */
function modelMatches(): boolean {
  if (!existsSync(join(modelDir, "config.json"))) return false;
  try {
    if (canonicalJson(loadModelConfig(modelDir)) !== canonicalJson(parseModelConfig(PRESET.config)))
      return false;
    const store = WeightStore.open(modelDir);
    try {
      const probe = "model.embed_tokens.weight";
      const file = store.check(probe, [32000, 2048]);
      return file.entry(probe)!.dtype === "BF16";
    } finally {
      store.close();
    }
  } catch {
    return false;
  }
}

/** Figure 1, in a child: shard the checkpoint into `shards` int4 shards; wall, CPU and peak RSS of the process. */
async function shardWorker(shards: number) {
  const before = memorySnapshot();
  const dir = shardDir(shards);
  rmSync(dir, { recursive: true, force: true });
  const config = loadModelConfig(modelDir);
  const run = await measured(() =>
    shardModel({
      modelDir,
      outDir: dir,
      boundaries: balancedBoundaries(config, shards),
      ...WEIGHTS,
      quiet: true,
    }),
  );
  const { manifest } = run.value;
  return {
    shards,
    boundaries: manifest.shards.map((s) => [s.layerStart, s.layerEnd]),
    shardBytes: manifest.shards.map((s) => s.files.reduce((n, f) => n + f.bytes, 0)),
    wallS: run.wallS,
    cpuS: run.cpuS,
    peakRssMiB: run.peakRssMiB,
    rssBeforeMiB: before.rssMiB,
    after: memorySnapshot(),
  };
}

async function openSpec(spec: DecoderSpec): Promise<Decoder> {
  return withSessionOptions(spec.variant, () => teeteeDecoder(shardDir(spec.shards), threads));
}

/** Figure 2 (and a variant's speed), in a child: load `keys` in a rotated order, warm up, decode in lockstep. */
async function speedRound(round: number, keys: string[]) {
  const loadAverage = { before: loadAverageLine(), after: "" };
  const decoders = new Map<string, Decoder>();
  for (const key of rotate(keys, round)) decoders.set(key, await openSpec(parseSpec(key)));
  const ordered = new Map(keys.map((key) => [key, decoders.get(key)!]));
  await lockstep(ordered, BENCH_PROMPT, WARMUP_TOKENS, 0);
  const series = Object.fromEntries(await lockstep(ordered, BENCH_PROMPT, steps + 1, round));
  for (const decoder of decoders.values()) await decoder.close();
  loadAverage.after = loadAverageLine();
  return { series, loadAverage, loadOrder: [...decoders.keys()] };
}

type SpeedRound = Awaited<ReturnType<typeof speedRound>>;

/** Runs this script as a child in the role `args` name and returns what it printed, parsed. */
function child<T>(args: string[]): Promise<T> {
  return run<T>(fileURLToPath(import.meta.url), args);
}

/** Runs `script` (with this run's thread and step counts) in a fresh Node process; parses what it printed. */
async function run<T>(script: string, args: string[]): Promise<T> {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", script, ...args, "--threads", String(threads), "--steps", String(steps)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  proc.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((done) => proc.on("close", done));
  if (code !== 0) throw new Error(`${script} ${args.join(" ")} exited with ${code}`);
  return JSON.parse(out) as T;
}

async function prepareModel(figures: string[]) {
  let make: Awaited<ReturnType<typeof measured>> | undefined;
  if (!modelMatches()) {
    console.log(`generating the tinyllama-1.1b preset (bf16, ~2.2 GB) in ${modelDir} ...`);
    rmSync(modelDir, { recursive: true, force: true });
    make = await child(["--make-model"]);
  }
  const sharding = [];
  for (const shards of SHARD_COUNTS) {
    if (!figures.includes("shard") && existsSync(join(shardDir(shards), "manifest.json"))) continue;
    console.log(`sharding into ${shards} int4 shard(s) ...`);
    const loadBefore = loadAverageLine();
    const result = await child<Awaited<ReturnType<typeof shardWorker>>>(["--shard-model", String(shards)]);
    sharding.push({ ...result, loadAverage: { before: loadBefore, after: loadAverageLine() } });
  }
  return { make, sharding };
}

async function speedFigure(rounds: number, keys: string[]): Promise<SpeedRound[]> {
  const results: SpeedRound[] = [];
  for (let r = 0; r < rounds; r++) {
    results.push(await child<SpeedRound>(["--speed-round", String(r), "--configs", keys.join(",")]));
    console.log(`${keys.join(" vs ")}: round ${r + 1}/${rounds} done`);
  }
  return results;
}

/** Step-time ratio of `key` to `reference` per round, CPU per token, and whether the greedy tokens agree. */
function speedSummary(results: SpeedRound[], reference: string, key: string) {
  const of = (k: string, field: keyof StepSeries) => results.flatMap((r) => r.series[k]![field]);
  const ratios = results.map((r) => pairedRatios(r.series[key]!.stepMs, r.series[reference]!.stepMs));
  const summary = ratioSummary(ratios);
  const row = (k: string) => ({
    medianStepMs: round(median(of(k, "stepMs")), 2),
    tokensPerSecond: round(1000 / median(of(k, "stepMs")), 2),
    cpuMsPerToken: round(median(of(k, "cpuMs")), 2),
    perRoundMedianStepMs: results.map((r) => round(median(r.series[k]!.stepMs), 2)),
  });
  return {
    reference,
    key,
    stepTimeRatio: summary,
    tokensPerSecondCost: round(1 - 1 / summary.median, 4),
    rows: { [reference]: row(reference), [key]: row(key) },
    sameGreedyTokens: results.every(
      (r) => r.series[key]!.tokens.join() === r.series[reference]!.tokens.join(),
    ),
    loadAverage: results.map((r) => r.loadAverage),
  };
}

function excessRow(p: Probe) {
  const ownBytes = p.weightBytes + p.kvCacheBytes;
  return {
    probe: p.probe,
    weightMiB: round(p.weightBytes / MiB, 1),
    kvCacheMiB: round(p.kvCacheBytes / MiB, 2),
    peakRssMiB: p.peakRssMiB,
    medianDecodeStepMs: p.medianDecodeStepMs,
    excessMiB: round(p.peakRssMiB - ownBytes / MiB, 1),
    importedRssMiB: p.phases["imported"]!.rssMiB,
    importedAnonMiB: p.phases["imported"]!.anonMiB,
    importedFileMiB: p.phases["imported"]!.fileMiB,
    loadedRssMiB: p.phases["loaded"]!.rssMiB,
    loadedAnonMiB: p.phases["loaded"]!.anonMiB,
    loadedFileMiB: p.phases["loaded"]!.fileMiB,
    decodedRssMiB: p.phases["decoded"]!.rssMiB,
    decodedAnonMiB: p.phases["decoded"]!.anonMiB,
    decodedFileMiB: p.phases["decoded"]!.fileMiB,
    decodedArrayBuffersMiB: p.phases["decoded"]!.arrayBuffersMiB,
    residentMiBByMapping: p.residentMiBByMapping,
  };
}

async function memoryFigure(variants: SessionVariant[]) {
  const probe = (spec: DecoderSpec, index: number) =>
    run<Probe>(join(here, "bigShapeProbe.ts"), [`${specKey(spec)}:${index}`]);
  const perShard: Probe[] = [];
  for (let i = 0; i < 4; i++) perShard.push(await probe({ shards: 4, variant: "default" }, i));
  const variantRows = [];
  for (const variant of variants) {
    console.log(`memory with session options: ${variant} ...`);
    variantRows.push({
      variant,
      shard1: excessRow(await probe({ shards: 4, variant }, 1)),
      unsharded: excessRow(await probe({ shards: 1, variant }, 0)),
    });
  }
  return { perShard: perShard.map(excessRow), variants: variantRows };
}

async function main(): Promise<void> {
  const figures = values.figures.split(",");
  const rounds = Number(values.rounds);
  const variants = values.variants.split(",").filter(isSessionVariant);
  const started = new Date().toISOString();
  const prepared = await prepareModel(figures);
  const speed = figures.includes("speed")
    ? speedSummary(await speedFigure(rounds, ["int4-x1", "int4-x4"]), "int4-x1", "int4-x4")
    : undefined;
  const memory = figures.includes("memory") ? await memoryFigure(variants) : undefined;
  const defaultUnsharded = memory?.variants.find((v) => v.variant === "default")?.unsharded.peakRssMiB;
  const variantSpeed = [];
  for (const row of memory?.variants ?? []) {
    if (row.variant === "default" || defaultUnsharded === undefined) continue;
    if (defaultUnsharded - row.unsharded.peakRssMiB < WORTH_PAIRING_MiB) continue;
    const key = `int4-x1@${row.variant}`;
    variantSpeed.push(speedSummary(await speedFigure(rounds, ["int4-x1", key]), "int4-x1", key));
  }
  const out = {
    date: started,
    finished: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      node: process.version,
      loadAverageAtEnd: loadAverageLine(),
    },
    model: {
      preset: "tinyllama-1.1b",
      source: PRESET.source,
      dtype: "BF16",
      weights: WEIGHTS,
      threads,
      promptTokens: BENCH_PROMPT.length,
      decodeSteps: steps,
      rounds,
    },
    goals: GOALS,
    ...prepared,
    speed,
    memory,
    variantSpeed,
  };
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
  printTables(out);
  if (!values["keep-model"]) {
    for (const dir of [modelDir, ...SHARD_COUNTS.map(shardDir)])
      rmSync(dir, { recursive: true, force: true });
    console.log("model and shards deleted (pass --keep-model to keep them)");
  }
}

function printTables(out: {
  make?: unknown;
  sharding: Awaited<ReturnType<typeof shardWorker>>[];
  speed?: ReturnType<typeof speedSummary>;
  memory?: Awaited<ReturnType<typeof memoryFigure>>;
  variantSpeed: ReturnType<typeof speedSummary>[];
}): void {
  if (out.sharding.length) {
    console.log(
      `\n1. sharding tinyllama-1.1b (bf16) to int4/32, one child process each (goal: peak RSS <= ${GOALS.shardingPeakRssMiB} MiB)`,
    );
    console.table(
      out.sharding.map((s) => ({
        shards: s.shards,
        "peak RSS MiB": s.peakRssMiB,
        "wall s": s.wallS,
        "CPU s": s.cpuS,
        "shard MB": s.shardBytes.map((b) => round(b / 1e6)).join(" / "),
      })),
    );
  }
  for (const s of [out.speed, ...out.variantSpeed]) {
    if (!s) continue;
    const r = s.stepTimeRatio;
    console.log(
      `\n${s.key} vs ${s.reference}: step-time ratio ${r.median} (IQR ${r.interquartileRange.join("–")}), per round ${r.perRoundMedians.join(" / ")}, ${r.pairedSteps} pairs; tok/s cost ${round(s.tokensPerSecondCost * 100, 2)}%; same tokens ${s.sameGreedyTokens}`,
    );
    console.table(
      Object.entries(s.rows).map(([key, row]) => ({
        configuration: key,
        "tok/s": row.tokensPerSecond,
        "wall ms/token": row.medianStepMs,
        "CPU ms/token": row.cpuMsPerToken,
        "per-round median ms": row.perRoundMedianStepMs.join(" / "),
      })),
    );
  }
  if (out.memory) {
    console.log(
      `\n3. one process per shard: peak RSS vs weights + KV cache (goal: <= +${GOALS.runnerExcessMiB} MiB)`,
    );
    console.table(
      out.memory.perShard.map((r) => ({
        probe: r.probe,
        "weights MiB": r.weightMiB,
        "KV MiB": r.kvCacheMiB,
        "peak RSS MiB": r.peakRssMiB,
        "+ over weights+KV": r.excessMiB,
        "RSS at import": r.importedRssMiB,
        "RSS loaded (anon / file)": `${r.loadedRssMiB} (${r.loadedAnonMiB} / ${r.loadedFileMiB})`,
        "RSS decoded (anon / file)": `${r.decodedRssMiB} (${r.decodedAnonMiB} / ${r.decodedFileMiB})`,
        "ArrayBuffers MiB": r.decodedArrayBuffersMiB,
      })),
    );
    console.table(
      out.memory.variants
        .flatMap((v) => [
          { variant: v.variant, ...v.shard1 },
          { variant: v.variant, ...v.unsharded },
        ])
        .map((r) => ({
          variant: r.variant,
          probe: r.probe,
          "peak RSS MiB": r.peakRssMiB,
          "+ over weights+KV": r.excessMiB,
          "anon MiB (decoded)": r.decodedAnonMiB,
          "file MiB (decoded)": r.decodedFileMiB,
          "decode ms/step, unpaired": r.medianDecodeStepMs,
        })),
    );
  }
  console.log(`written to ${resultsFile}`);
}
