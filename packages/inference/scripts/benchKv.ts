/**
 * The KV cache layouts side by side: decode speed of the bench model with the in-place cache (GroupQueryAttention
 * on one shared buffer) and with the concat cache (past + new copied into a new present each call), fp32, int8 and
 * int4, unsharded, paired step by step in one process as bench.ts pairs its configurations. Two scenarios: the
 * bench's short prompt (16 tokens, 128 decode steps) and a long context (1024-token prefill, then 64 steps), where
 * copying the cache costs most. Run through `pnpm bench:inference --kv [--rounds 3] [--threads 1]`.
 *
 * Each round is one child process that loads every configuration of a scenario, prefills each (untimed) and decodes
 * them in lockstep, in an order rotated every step and reversed on odd ones; the headline is the median over all
 * steps and rounds of the per-step ratio in-place / concat of the same format, with its interquartile range and the
 * per-round medians. CPU ms is the process's CPU time across each step. Results: bench-results/inference-kv.json.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_PROMPT, BENCH_SHAPE } from "../src/benchModel.js";
import type { KvCacheLayout } from "../src/kvCacheLayout.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { loadManifest } from "../src/manifest.js";
import { shardModel } from "../src/shardModel.js";
import { type Decoder, teeteeDecoder } from "./lib/benchDecoders.js";
import { median, quantile, rotate, round } from "./lib/stats.js";

const here = dirname(fileURLToPath(import.meta.url));
const modelsDir = resolve(here, "../.models");
const resultsFile = resolve(here, "../../../bench-results/inference-kv.json");
const FORMATS = ["fp32", "int8", "int4"] as const;
const LAYOUTS: KvCacheLayout[] = ["inPlace", "concat"];
const WARMUP_TOKENS = 4;

type Scenario = { name: string; model: string; maxPositions: number; prompt: number[]; steps: number };
const SCENARIOS: Scenario[] = [
  { name: "short", model: "bench", maxPositions: BENCH_SHAPE.maxPositions, prompt: BENCH_PROMPT, steps: 128 },
  {
    name: "long",
    model: "bench-2k",
    maxPositions: 2048,
    prompt: Array.from({ length: 1024 }, (_, i) => 10 + ((i * 7919) % 16000)),
    steps: 64,
  },
];
type Config = { key: string; format: (typeof FORMATS)[number]; kvCache: KvCacheLayout };
const CONFIGS: Config[] = FORMATS.flatMap((format) =>
  LAYOUTS.map((kvCache) => ({ key: `${format}-${kvCache}`, format, kvCache })),
);
type Series = { stepMs: number[]; cpuMs: number[]; tokens: number[] };
type RoundResult = { series: Record<string, Series>; loadAverage: { before: number[]; after: number[] } };

export async function benchKv(options: {
  rounds: number;
  threads: number;
  round?: string;
  scenario?: string;
}) {
  if (options.round !== undefined) {
    const scenario = SCENARIOS.find((s) => s.name === options.scenario)!;
    process.stdout.write(JSON.stringify(await roundWorker(scenario, Number(options.round), options.threads)));
    return;
  }
  const results: Record<string, RoundResult[]> = {};
  for (const scenario of SCENARIOS) {
    await prepare(scenario);
    results[scenario.name] = [];
    for (let r = 0; r < options.rounds; r++) {
      results[scenario.name]!.push(child(scenario, r, options.threads));
      console.log(`${scenario.name}: round ${r + 1}/${options.rounds} done`);
    }
  }
  report(results, options.threads);
}

function shardDir(scenario: Scenario, config: Config): string {
  return join(modelsDir, `${scenario.model}-kv-${config.format}-${config.kvCache}`);
}

async function prepare(scenario: Scenario): Promise<void> {
  const modelDir = join(modelsDir, scenario.model);
  if (!existsSync(join(modelDir, "config.json"))) {
    console.log(`generating ${modelDir} ...`);
    makeTestModel({ dir: modelDir, ...BENCH_SHAPE, maxPositions: scenario.maxPositions });
  }
  for (const config of CONFIGS) {
    const dir = shardDir(scenario, config);
    const done =
      existsSync(join(dir, "manifest.json")) && (await loadManifest(dir)).kvCache === config.kvCache;
    if (done) continue;
    await shardModel({
      modelDir,
      outDir: dir,
      shardCount: 1,
      format: config.format,
      kvCache: config.kvCache,
      quiet: true,
    });
  }
}

function child(scenario: Scenario, r: number, threads: number): RoundResult {
  const args = ["--kv", "--round", String(r), "--scenario", scenario.name, "--threads", String(threads)];
  const output = execFileSync(process.execPath, ["--import", "tsx", resolve(here, "bench.ts"), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  return JSON.parse(output) as RoundResult;
}

async function roundWorker(scenario: Scenario, r: number, threads: number): Promise<RoundResult> {
  const before = loadavg();
  const decoders = new Map<string, Decoder>();
  for (const config of rotate(CONFIGS, r)) {
    decoders.set(config.key, await teeteeDecoder(shardDir(scenario, config), threads));
  }
  const series: Record<string, Series> = {};
  const last = new Map<string, number>();
  for (const [key, decoder] of decoders) {
    series[key] = { stepMs: [], cpuMs: [], tokens: [] };
    let token = await decoder.start(scenario.prompt);
    for (let i = 0; i < WARMUP_TOKENS; i++) token = await decoder.step(token);
    last.set(key, token);
  }
  const keys = [...decoders.keys()];
  for (let step = 0; step < scenario.steps; step++) {
    const order = rotate(keys, step + r);
    for (const key of step % 2 ? order.reverse() : order) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      const token = await decoders.get(key)!.step(last.get(key)!);
      series[key]!.stepMs.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      series[key]!.cpuMs.push((used.user + used.system) / 1000);
      series[key]!.tokens.push(token);
      last.set(key, token);
    }
  }
  for (const decoder of decoders.values()) await decoder.close();
  return { series, loadAverage: { before, after: loadavg() } };
}

function report(results: Record<string, RoundResult[]>, threads: number): void {
  const scenarios = SCENARIOS.map((scenario) => {
    const rounds = results[scenario.name]!;
    const rows = FORMATS.map((format) => {
      const [mine, theirs] = LAYOUTS.map((kv) => `${format}-${kv}`) as [string, string];
      const ratios = (r: RoundResult) =>
        r.series[mine]!.stepMs.map((ms, i) => ms / r.series[theirs]!.stepMs[i]!);
      const pooled = (key: string, field: "stepMs" | "cpuMs") => rounds.flatMap((r) => r.series[key]![field]);
      const all = rounds.flatMap(ratios);
      return {
        format,
        inPlaceTokensPerSecond: round(1000 / median(pooled(mine, "stepMs"))),
        concatTokensPerSecond: round(1000 / median(pooled(theirs, "stepMs"))),
        stepTimeInPlaceVsConcat: {
          median: round(median(all), 4),
          interquartileRange: [round(quantile(all, 0.25), 4), round(quantile(all, 0.75), 4)],
          perRoundMedians: rounds.map((r) => round(median(ratios(r)), 4)),
          pairedSteps: all.length,
        },
        cpuMsPerToken: {
          inPlace: round(median(pooled(mine, "cpuMs")), 3),
          concat: round(median(pooled(theirs, "cpuMs")), 3),
        },
        wallMsPerToken: {
          inPlace: round(median(pooled(mine, "stepMs")), 3),
          concat: round(median(pooled(theirs, "stepMs")), 3),
        },
        sameGreedyTokens: rounds.every(
          (r) => r.series[mine]!.tokens.join() === r.series[theirs]!.tokens.join(),
        ),
      };
    });
    const loadAverage1m = rounds.map((r) => [
      round(r.loadAverage.before[0]!, 2),
      round(r.loadAverage.after[0]!, 2),
    ]);
    return {
      scenario: scenario.name,
      promptTokens: scenario.prompt.length,
      decodeSteps: scenario.steps,
      loadAverage1m,
      rows,
    };
  });
  const out = {
    date: new Date().toISOString(),
    threads,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
    model: BENCH_SHAPE,
    scenarios,
  };
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
  for (const s of scenarios) {
    console.log(
      `\n${s.scenario}: ${s.promptTokens}-token prompt, ${s.decodeSteps} decode steps, ${threads} thread(s); load average before → after each round: ${s.loadAverage1m.map((l) => l.join(" → ")).join(", ")}`,
    );
    console.table(
      s.rows.map((r) => ({
        format: r.format,
        "tok/s in-place": r.inPlaceTokensPerSecond,
        "tok/s concat": r.concatTokensPerSecond,
        "step time in-place / concat: median (IQR)": `${r.stepTimeInPlaceVsConcat.median} (${r.stepTimeInPlaceVsConcat.interquartileRange.join("–")})`,
        "per-round medians": r.stepTimeInPlaceVsConcat.perRoundMedians.join(" / "),
        "CPU ms/token in-place / concat": `${r.cpuMsPerToken.inPlace} / ${r.cpuMsPerToken.concat}`,
        "wall ms/token in-place / concat": `${r.wallMsPerToken.inPlace} / ${r.wallMsPerToken.concat}`,
        "same tokens": r.sameGreedyTokens,
      })),
    );
  }
  console.log(`written to ${resultsFile}`);
}
