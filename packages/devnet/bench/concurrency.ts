/**
 * Concurrent decode: aggregate tokens/s, per-request p50/p95 inter-token latency and CPU per generated token at
 * 1, 4, 16 and 32 concurrent streams (issue 16), for the bench model (packages/inference/src/benchModel.ts:
 * Llama-shaped, 16 layers, hidden 512, intermediate 1536, 8 heads / 4 KV heads, random weights, seed 2024) with
 * the test tokenizer's 379-token vocabulary (~51M parameters), in int4 and fp32 weights:
 *
 *   unsharded   the whole model in this process, one `ShardSession.forwardBatch` over the concurrent sequences
 *               per decode step (the in-process batched decode; until batching lands it runs them one by one)
 *   2 runners   `pnpm start --shards 2` (chain, runners in dev TEEs, a replica of shard 0, the gateway): streaming
 *   3 runners   chat completions over HTTP through the gateway, the demo buyer paying (`--shards 3`)
 *   llama.cpp   node-llama-cpp on the same weights as GGUF (F32 / Q4_0), one context with `sequences: N`
 *
 *   pnpm bench:concurrency [--streams 1,4,16,32] [--tokens 32] [--repeats 3] [--setups unsharded,2,3,llama]
 *                          [--dtypes fp32,int4] [--quick] [--label "what this run is"]
 *
 * `--quick` (streams 1,4,16, 12 tokens, 1 repeat) checks the harness in about a minute on a 2-core machine; the
 * default run took 14.5 minutes there under a load average of 3 to 14, most of it the runner setups at 16 and 32
 * streams.
 * Every process computes on one onnxruntime / llama.cpp thread (the devnet's runners run `--threads 1`).
 * CPU per token is user + system time summed over the setup's processes (this process for unsharded and
 * llama.cpp; the gateway and every runner, replica included, for the networks, from /proc/<pid>/stat).
 * Results: a table, bench-results/concurrency.{json,md}, and the markdown table (headed by `--label`, the date,
 * commit, machine and load) appended to docs/benchmarks/concurrency.md.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { argmax, makeTestModel, ShardSession, shardModel } from "@teetee/inference";
import { BENCH_PROMPT, BENCH_SHAPE } from "@teetee/inference/benchModel";
import {
  type ConcurrencyRow,
  type ConcurrentRun,
  GOALS,
  goalsOf,
  rowOf,
  type StreamTiming,
  summarizeConcurrent,
} from "./lib/concurrencyStats.js";
import {
  cpuSecondsOf,
  type Devnet,
  serviceProcesses,
  sleep,
  startDevnet,
  streamOnce,
} from "./lib/devnetProcess.js";

const repoRoot = resolve(import.meta.dirname, "../../..");
const workDir = join(repoRoot, ".teetee/bench-concurrency");
const modelDir = join(workDir, "bench-model-379");
/**
 * The bench model with the test tokenizer's 379-token vocabulary instead of 16,384 embedding rows: through the
 * gateway a generated token is only seen as text, and with random weights most of 16,384 ids have none.
 */
const { vocabSize: _padded, ...SHAPE } = BENCH_SHAPE;
const SETUPS = ["unsharded", "2", "3", "llama"] as const;
const DTYPES = ["fp32", "int4"] as const;
type Setup = (typeof SETUPS)[number];
type Dtype = (typeof DTYPES)[number];

const { values } = parseArgs({
  options: {
    streams: { type: "string" },
    tokens: { type: "string" },
    repeats: { type: "string" },
    setups: { type: "string", default: SETUPS.join(",") },
    dtypes: { type: "string", default: DTYPES.join(",") },
    quick: { type: "boolean", default: false },
    label: { type: "string" },
  },
});
const list = <T extends string>(value: string, allowed: readonly T[], name: string): T[] => {
  const items = value.split(",").map((s) => s.trim());
  const bad = items.filter((s) => !allowed.includes(s as T));
  if (bad.length > 0)
    throw new Error(`--${name}: unknown ${bad.join(", ")} (one or more of ${allowed.join(",")})`);
  return items as T[];
};
const STREAMS = (values.streams ?? (values.quick ? "1,4,16" : "1,4,16,32")).split(",").map(Number);
const TOKENS = Number(values.tokens ?? (values.quick ? 12 : 32));
const REPEATS = Number(values.repeats ?? (values.quick ? 1 : 3));
const setups = list(values.setups, SETUPS, "setups");
const dtypes = list(values.dtypes, DTYPES, "dtypes");
if (!STREAMS.every((n) => Number.isInteger(n) && n >= 1 && n <= 64)) throw new Error("--streams: 1..64 each");
if (!(TOKENS >= 2 && TOKENS <= 256 && REPEATS >= 1 && REPEATS <= 20))
  throw new Error("--tokens 2..256, --repeats 1..20");

const LABELS: Record<Setup, string> = {
  unsharded: "unsharded",
  "2": "2 runners",
  "3": "3 runners",
  llama: "llama.cpp",
};

/** The concurrent sequences' prompts: the bench prompt, varied per stream so no two sequences are alike. */
const promptOf = (stream: number) => BENCH_PROMPT.map((id, i) => (i === 0 ? id + stream : id));

function prepareModel(): void {
  if (!existsSync(join(modelDir, "config.json"))) makeTestModel({ dir: modelDir, ...SHAPE });
}

/** The unsharded model: N sequences prefilled one by one, then one forwardBatch per decode step over all of them. */
async function unsharded(
  dtype: Dtype,
): Promise<{ run: (streams: number) => Promise<ConcurrentRun>; release: () => Promise<void> }> {
  const dir = join(workDir, `unsharded-${dtype}`);
  if (!existsSync(join(dir, "manifest.json")))
    await shardModel({ modelDir, outDir: dir, shardCount: 1, quiet: true, format: dtype });
  const shard = await ShardSession.create({ dir, shardIndex: 0, verify: false, intraOpNumThreads: 1 });
  let generation = 0;
  const run = async (streams: number): Promise<ConcurrentRun> => {
    const ids = Array.from({ length: streams }, (_, i) => `g${generation}-${i}`);
    generation++;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const times: number[][] = ids.map(() => []);
    const last: number[] = [];
    for (const [i, sessionId] of ids.entries()) {
      const out = await shard.forward({ sessionId, inputIds: promptOf(i) });
      last.push(argmax(out.logits!));
      times[i]!.push(performance.now());
    }
    for (let step = 1; step < TOKENS; step++) {
      const results = await shard.forwardBatch(
        ids.map((sessionId, i) => ({ sessionId, inputIds: [last[i]!] })),
      );
      const now = performance.now();
      for (const [i, result] of results.entries()) {
        if (!result.ok) throw result.error;
        last[i] = argmax(result.value.logits!);
        times[i]!.push(now);
      }
    }
    const wall = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    for (const id of ids) shard.drop(id);
    return summarizeConcurrent(
      times.map((tokenTimesMs) => ({ tokenTimesMs })),
      (used.user + used.system) / 1e6,
      wall,
    );
  };
  await run(1);
  return { run, release: () => shard.release() };
}

/** `pnpm start` with the bench model in `shards` shards; N streaming chat completions at once through its gateway. */
async function network(
  shards: number,
  dtype: Dtype,
): Promise<{ run: (streams: number) => Promise<ConcurrentRun>; devnet: Devnet }> {
  const out = join(workDir, `net-${shards}-${dtype}`);
  const args = [
    "--model",
    modelDir,
    "--shards",
    String(shards),
    ...(dtype === "fp32" ? [] : ["--quant", dtype]),
  ];
  const devnet = await startDevnet(repoRoot, out, args);
  const pids = () => serviceProcesses(devnet.child.pid!).map((p) => p.pid);
  const cpuOf = (list: number[]) =>
    list.reduce((sum, pid) => {
      try {
        return sum + cpuSecondsOf(pid);
      } catch {
        return sum;
      }
    }, 0);
  let refused = 0;
  const one = async (stream: number, i: number): Promise<StreamTiming> => {
    for (let attempt = 0; attempt < 60; attempt++) {
      const r = await streamOnce(
        devnet.env,
        devnet.model,
        `Stream ${stream}, round ${i}: tell me about shards.`,
        TOKENS,
      );
      if (r.status === 200 && r.brokenStream !== true)
        return { tokenTimesMs: r.tokenTimesMs, tokens: r.completionTokens };
      if (r.status !== 429 && r.status !== 503)
        throw new Error(`request failed: ${r.status} ${r.message ?? ""}`);
      refused++;
      await sleep(500);
    }
    throw new Error("refused for 30 s");
  };
  let round = 0;
  const run = async (streams: number): Promise<ConcurrentRun> => {
    const processes = pids();
    const cpuBefore = cpuOf(processes);
    const started = performance.now();
    const timings = await Promise.all(Array.from({ length: streams }, (_, s) => one(s, round)));
    round++;
    const wall = (performance.now() - started) / 1000;
    return summarizeConcurrent(timings, cpuOf(processes) - cpuBefore, wall);
  };
  await run(1);
  if (refused > 0) console.error(`${shards} runners ${dtype}: ${refused} refusal(s) retried so far`);
  return { run, devnet };
}

/** The part of node-llama-cpp used here (its types are not visible from this package). */
type LlamaCppModule = {
  LlamaLogLevel: { error: unknown };
  getLlama(options: Record<string, unknown>): Promise<{
    loadModel(options: { modelPath: string; gpuLayers: number }): Promise<{
      createContext(options: Record<string, unknown>): Promise<{
        getSequence(): {
          evaluate(tokens: number[], options: Record<string, unknown>): AsyncGenerator<number>;
        };
        dispose(): Promise<void>;
      }>;
      dispose(): Promise<void>;
    }>;
  }>;
};

/** node-llama-cpp and the GGUF writer live in @teetee/inference (a dev dependency there, a module it does not export). */
async function llamaModules() {
  const inferenceRoot = join(repoRoot, "packages/inference");
  // pnpm links it into @teetee/inference's own node_modules, which this package's resolution does not search.
  const llamaEntry = join(inferenceRoot, "node_modules/node-llama-cpp/dist/index.js");
  const llamaCpp = (await import(pathToFileURL(llamaEntry).href)) as LlamaCppModule;
  const gguf = (await import(pathToFileURL(join(inferenceRoot, "src/gguf/writeModelGguf.ts")).href)) as {
    writeModelGguf: (params: { modelDir: string; outPath: string; type: "F32" | "Q4_0" }) => void;
  };
  return { llamaCpp, writeModelGguf: gguf.writeModelGguf };
}

/** llama.cpp on the same weights: one context per concurrency with `sequences: N`, all decoding at once. */
async function llama(
  dtype: Dtype,
): Promise<{ run: (streams: number) => Promise<ConcurrentRun>; release: () => Promise<void> }> {
  const { llamaCpp, writeModelGguf } = await llamaModules();
  const type = dtype === "fp32" ? "F32" : "Q4_0";
  const path = join(workDir, `bench-${type}.gguf`);
  if (!existsSync(path)) writeModelGguf({ modelDir, outPath: path, type });
  const lib = await llamaCpp.getLlama({
    gpu: false,
    build: "never",
    skipDownload: true,
    usePrebuiltBinaries: true,
    progressLogs: false,
    logLevel: llamaCpp.LlamaLogLevel.error,
  });
  const model = await lib.loadModel({ modelPath: path, gpuLayers: 0 });
  const run = async (streams: number): Promise<ConcurrentRun> => {
    const perSequence = BENCH_PROMPT.length + TOKENS + 8;
    const context = await model.createContext({
      sequences: streams,
      contextSize: perSequence * streams,
      batchSize: Math.max(perSequence, streams),
      threads: { ideal: 1, min: 1 },
    });
    try {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const timings = await Promise.all(
        Array.from({ length: streams }, async (_, s) => {
          const sequence = context.getSequence();
          const tokenTimesMs: number[] = [];
          const tokens = sequence.evaluate(promptOf(s), {
            temperature: 0,
            yieldEogToken: true,
          });
          for await (const _token of tokens) {
            tokenTimesMs.push(performance.now());
            if (tokenTimesMs.length >= TOKENS) break;
          }
          return { tokenTimesMs };
        }),
      );
      const wall = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      return summarizeConcurrent(timings, (used.user + used.system) / 1e6, wall);
    } finally {
      await context.dispose();
    }
  };
  await run(1);
  return { run, release: () => model.dispose() };
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const range = (s: { median: number; min: number; max: number }, digits = 1) =>
  REPEATS === 1
    ? fmt(s.median, digits)
    : `${fmt(s.median, digits)} [${fmt(s.min, digits)}–${fmt(s.max, digits)}]`;

function table(rows: ConcurrencyRow[]) {
  return rows.map((r) => {
    const g = goalsOf(r, rows);
    return {
      setup: r.setup,
      dtype: r.dtype,
      streams: r.streams,
      "agg tok/s": range(r.aggregateTokensPerSecond),
      "ITL p50 ms": range(r.itlP50Ms),
      "ITL p95 ms": range(r.itlP95Ms),
      "CPU ms/token": range(r.cpuMsPerToken, 2),
      "wall s": range(r.wallSeconds, 2),
      [`×single@16 (≥${GOALS.speedupAt16})`]: g.speedupAt16 === undefined ? "" : fmt(g.speedupAt16, 2),
      [`vs llama.cpp (≥${GOALS.vsLlamaCpp})`]: g.vsLlamaCpp === undefined ? "" : fmt(g.vsLlamaCpp, 2),
      [`p95@16/p50@1 (≤${GOALS.p95At16OverSingleP50})`]:
        g.p95At16OverSingleP50 === undefined ? "" : fmt(g.p95At16OverSingleP50, 2),
      [`CPU vs unsharded (≤${GOALS.cpuVsUnsharded})`]:
        g.cpuVsUnsharded === undefined ? "" : fmt(g.cpuVsUnsharded, 2),
    };
  });
}

function markdown(
  result: { date: string; commit: string; machine: Record<string, unknown> },
  rows: ConcurrencyRow[],
) {
  const body = table(rows);
  const head = Object.keys(body[0] ?? {});
  return [
    `### ${values.label === undefined ? "" : `${values.label}: `}${result.date} (commit ${result.commit})`,
    "",
    `Machine: ${JSON.stringify(result.machine)}. ${REPEATS} repeat(s) of ${TOKENS} tokens per stream${values.quick ? ", --quick" : ""}; median [min–max] over repeats.`,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...body.map((r) => `| ${Object.values(r).join(" | ")} |`),
    "",
  ].join("\n");
}

async function measure(setup: Setup, dtype: Dtype, rows: ConcurrencyRow[]): Promise<void> {
  let run: (streams: number) => Promise<ConcurrentRun>;
  let close: () => Promise<void>;
  if (setup === "unsharded") {
    ({ run, release: close } = await unsharded(dtype));
  } else if (setup === "llama") {
    ({ run, release: close } = await llama(dtype));
  } else {
    const r = await network(Number(setup), dtype);
    run = r.run;
    close = r.devnet.stop;
  }
  try {
    for (const streams of STREAMS) {
      const runs: ConcurrentRun[] = [];
      for (let k = 0; k < REPEATS; k++) runs.push(await run(streams));
      const row = rowOf(LABELS[setup], dtype, runs);
      rows.push(row);
      console.error(
        `${row.setup} ${dtype} ×${streams}: ${fmt(row.aggregateTokensPerSecond.median)} tok/s, ITL p50 ` +
          `${fmt(row.itlP50Ms.median)} p95 ${fmt(row.itlP95Ms.median)} ms, ${fmt(row.cpuMsPerToken.median, 2)} CPU ms/token`,
      );
    }
  } finally {
    await close();
  }
}

async function main(): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  const loadBefore = os.loadavg();
  const begun = performance.now();
  prepareModel();
  const rows: ConcurrencyRow[] = [];
  // llama.cpp first for each weight format, so that every TeeTee row can be read against it.
  const order = [...setups].sort((a, b) => (a === "llama" ? -1 : b === "llama" ? 1 : 0));
  for (const dtype of dtypes) for (const setup of order) await measure(setup, dtype, rows);
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: repoRoot,
    encoding: "utf8",
  }).trim();
  const machine = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    node: process.version,
    loadBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
    loadAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
    minutes: Math.round((performance.now() - begun) / 600) / 100,
  };
  const result = {
    date: new Date().toISOString(),
    commit,
    machine,
    method: { streams: STREAMS, tokens: TOKENS, repeats: REPEATS, quick: values.quick, threadsPerProcess: 1 },
    model: { ...SHAPE, vocabSize: 379, promptTokens: BENCH_PROMPT.length },
    goals: GOALS,
    rows: rows.map((r) => ({ ...r, goals: goalsOf(r, rows) })),
  };
  mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
  writeFileSync(join(repoRoot, "bench-results/concurrency.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(repoRoot, "bench-results/concurrency.md"), markdown(result, rows));
  // Every run is recorded; the write-up above the runs says which ones to read.
  appendFileSync(join(repoRoot, "docs/benchmarks/concurrency.md"), `\n${markdown(result, rows)}`);
  console.table(table(rows));
  console.log(
    `load average ${machine.loadBefore.join(" ")} → ${machine.loadAfter.join(" ")}; ${machine.minutes} min; ` +
      "bench-results/concurrency.{json,md}",
  );
}

await main();
process.exit(0);
