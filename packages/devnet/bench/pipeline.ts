/**
 * Decode throughput of the bench model (Llama-shaped, ~67M parameters, random weights: the same model as
 * packages/inference/scripts/bench.ts) through 2 and 4 runner processes on loopback, registered on a local chain
 * with dev TEEs, for both topologies, with encryption on and off, as a ratio to the unsharded model in this process.
 * Also per-hop overhead and bytes per token per hop, beside what the same activations take as JSON float lists.
 *   pnpm exec tsx packages/devnet/bench/pipeline.ts [--tokens 64] [--rounds 5] [--threads 1] [--quick] [--transport stream|http]
 * Results: bench-results/pipeline.json and a table.
 *
 * Method. Every process runs onnxruntime with the same intra-op thread count (`--threads`). The configurations
 * run interleaved in rounds (unsharded baseline, then each runner count, topology and encryption setting, then the
 * next round), each round's baseline being the mean of the baseline runs that bracket it, so a ratio compares runs
 * made seconds apart under the same load. Each configuration reports the median and range over rounds.
 * Per-hop overhead is measured, not inferred: (client-observed step time - the runners' shard compute) / hops,
 * with 2N hops a token through the gateway topology and N+1 forwarded. Its distribution needs each step's compute,
 * which the runners' /metrics give when scraped after every step; but a scrape wakes every runner just before the
 * next step, which flattered throughput by 0.02–0.06 when it was measured that way. So each configuration makes
 * two generations per round: a throughput run, scraped only before and after (its ratio, bytes, and mean per-hop
 * overhead), and an overhead run scraped after every step, outside the timed step (per-hop p50 and p99).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generate, loadManifest, ShardSession } from "@teetee/inference";
import { BENCH_PROMPT, BENCH_SHAPE } from "@teetee/inference/benchModel";
import {
  createPipelineSession,
  type FrameTransport,
  type PipelineTopology,
  type RouteRunner,
} from "@teetee/sdk/pipeline";
import {
  prepareShardedModel,
  repoRoot,
  startTestNetwork,
  type TestNetwork,
} from "../src/testing/localNetwork.js";
import { type CoreContention, measureCoreContention } from "./lib/coreContention.js";
import { measureLoopbackRoundTrip } from "./lib/loopbackWake.js";

const RUNNER_COUNTS = [2, 4] as const;
const TOPOLOGIES = ["forward", "gateway"] as const satisfies readonly PipelineTopology[];
const TARGETS = {
  ratio: { 2: 0.9, 4: 0.8 },
  perHopP50Ms: 1,
  bytesPerTokenPerHop: BENCH_SHAPE.hiddenSize * 2 + 256,
} as const;
const modelsDir = join(repoRoot, "packages/inference/.models");

const { values } = parseArgs({
  options: {
    tokens: { type: "string" },
    rounds: { type: "string" },
    threads: { type: "string", default: "1" },
    quick: { type: "boolean", default: false },
    transport: { type: "string", default: "stream" },
  },
});
if (values.transport !== "stream" && values.transport !== "http") {
  throw new Error(`--transport must be stream or http, not ${values.transport}`);
}
/** How the bench process sends frames; runners always forward to each other over frame streams. */
const TRANSPORT: FrameTransport = values.transport;
/** `--quick` checks the harness in a couple of minutes; its figures are not for comparison. */
const NEW_TOKENS = Number(values.tokens ?? (values.quick ? 16 : 64));
const ROUNDS = Number(values.rounds ?? (values.quick ? 2 : 5));
const THREADS = Number(values.threads);
const WARMUP_TOKENS = 8;

type RunnerCount = (typeof RUNNER_COUNTS)[number];
type Config = { runners: RunnerCount; topology: PipelineTopology; encrypted: boolean };
/**
 * One generation: tokens per second over the decode steps, per-hop overhead of each step (only when scraped after
 * every step) and its mean over the run, bytes per token per hop, tokens produced.
 */
type Run = {
  tps: number;
  perHopMs: number[];
  meanHopMs: number;
  bytesPerTokenPerHop: number;
  tokens: number[];
};
type Spread = { median: number; min: number; max: number };

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
const spread = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The inference bench's shards when it already wrote them (same shape and seed), else made here. */
async function benchShards(count: number) {
  const existing = join(modelsDir, `bench-shards-${count}`);
  if (existsSync(join(existing, "manifest.json")))
    return { shardDir: existing, manifest: await loadManifest(existing) };
  return prepareShardedModel({
    dir: join(modelsDir, `bench-pipeline-${count}`),
    shardCount: count,
    shape: BENCH_SHAPE,
  });
}

/** The unsharded model in this process, as one reusable generation. */
async function startBaseline(): Promise<{
  run: (tokens: number) => Promise<Run>;
  release: () => Promise<void>;
}> {
  const { shardDir } = await benchShards(1);
  const shard = await ShardSession.create({
    dir: shardDir,
    shardIndex: 0,
    verify: false,
    intraOpNumThreads: THREADS,
  });
  const run = async (maxTokens: number): Promise<Run> => {
    const times: number[] = [];
    const { tokens } = await generate({
      shards: [shard],
      promptIds: BENCH_PROMPT,
      maxTokens,
      onToken: () => times.push(performance.now()),
    });
    const stepsMs = times.slice(1).map((t, i) => t - times[i]!);
    return {
      tps: (stepsMs.length * 1000) / sum(stepsMs),
      perHopMs: [],
      meanHopMs: 0,
      bytesPerTokenPerHop: 0,
      tokens,
    };
  };
  return { run, release: () => shard.release() };
}

/** {@link measureCoreContention} on one decode step of a middle shard of the 4-shard chain, in this process. */
async function shardContention(): Promise<CoreContention> {
  const { shardDir, manifest } = await benchShards(4);
  const shard = await ShardSession.create({
    dir: shardDir,
    shardIndex: 1,
    verify: false,
    intraOpNumThreads: THREADS,
  });
  const hiddenSize = manifest.config.hiddenSize;
  const sessionId = "contention";
  const context = new Float32Array(hiddenSize * BENCH_PROMPT.length).fill(0.01);
  const next = new Float32Array(hiddenSize).fill(0.01);
  let steps = 0;
  try {
    return await measureCoreContention(async () => {
      // Restarted now and then, so the context stays about as long as a benchmark generation's.
      if (steps++ % NEW_TOKENS === 0) {
        shard.drop(sessionId);
        await shard.forward({ sessionId, hiddenStates: context });
      }
      await shard.forward({ sessionId, hiddenStates: next });
    });
  } finally {
    await shard.release();
  }
}

/** A local chain with one runner process per shard, all on the same thread count. */
async function startRoute(count: RunnerCount): Promise<{ network: TestNetwork; route: RouteRunner[] }> {
  const { shardDir, manifest } = await benchShards(count);
  const network = await startTestNetwork({
    shardDir,
    runnerArgs: ["--allow-plaintext-frames", "--threads", String(THREADS)],
  });
  const runners = await Promise.all(manifest.shards.map((_, index) => network.spawnRunner(index)));
  return {
    network,
    route: runners.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey })),
  };
}

/** What a runner has reported so far: decode compute seconds and frame bytes received. */
async function scrape(endpoint: string): Promise<{ computeS: number; receivedBytes: number }> {
  const lines = (await fetch(`${endpoint}/metrics`).then((r) => r.text())).split("\n");
  const value = (prefix: string) => {
    const line = lines.find((l) => l.startsWith(`${prefix} `));
    return line === undefined ? 0 : Number(line.slice(prefix.length + 1));
  };
  return {
    computeS: value('teetee_runner_compute_seconds_sum{kind="decode"}'),
    receivedBytes: value("teetee_runner_received_bytes_total"),
  };
}
const scrapeAll = (route: RouteRunner[]) => Promise.all(route.map((r) => scrape(r.endpoint)));

/**
 * One generation through the runners. With `eachStep`, the runners' metrics are read after every decode step for
 * that step's compute (per-hop overhead per step); without, only before and after (the run's mean).
 */
async function throughRoute(
  route: RouteRunner[],
  config: Config,
  maxTokens: number,
  eachStep: boolean,
): Promise<Run> {
  const { topology, encrypted } = config;
  const session = createPipelineSession({
    route,
    topology,
    encrypt: encrypted,
    activationDtype: "fp16",
    transport: TRANSPORT,
  });
  const hops = topology === "gateway" ? 2 * route.length : route.length + 1;
  let token = await session.prefill(BENCH_PROMPT);
  const tokens = [token.tokenId];
  const first = await scrapeAll(route);
  const sentBefore = [...session.traffic.bytesSent];
  const awaitsBefore = session.traffic.awaitBytesSent;
  const stepsMs: number[] = [];
  const perHopMs: number[] = [];
  let previous = first;
  while (tokens.length < maxTokens) {
    const started = performance.now();
    token = await session.decode(token.tokenId);
    const stepMs = performance.now() - started;
    tokens.push(token.tokenId);
    stepsMs.push(stepMs);
    if (eachStep) {
      const now = await scrapeAll(route);
      const computeMs = sum(now.map((m, i) => m.computeS - previous[i]!.computeS)) * 1000;
      perHopMs.push((stepMs - computeMs) / hops);
      previous = now;
    }
  }
  if (!eachStep) previous = await scrapeAll(route);
  const totalComputeMs = sum(previous.map((m, i) => m.computeS - first[i]!.computeS)) * 1000;
  await session.close();
  // Activation bytes between runners per decode step: what runners 1..N-1 received (forward, less the client's
  // await frames to the last runner), or what the client sent them (gateway); frames into runner 0 carry a token
  // id, not activations.
  const activationBytes =
    topology === "forward"
      ? sum(previous.slice(1).map((m, i) => m.receivedBytes - first[i + 1]!.receivedBytes)) -
        (session.traffic.awaitBytesSent - awaitsBefore)
      : sum(session.traffic.bytesSent.slice(1).map((b, i) => b - sentBefore[i + 1]!));
  return {
    tps: (stepsMs.length * 1000) / sum(stepsMs),
    perHopMs,
    meanHopMs: (sum(stepsMs) - totalComputeMs) / hops / stepsMs.length,
    bytesPerTokenPerHop: activationBytes / stepsMs.length / (route.length - 1),
    tokens,
  };
}

const CONFIGS: Config[] = RUNNER_COUNTS.flatMap((runners) =>
  TOPOLOGIES.flatMap((topology) => [true, false].map((encrypted) => ({ runners, topology, encrypted }))),
);
const label = (c: Config) => `${c.runners} runners ${c.topology} ${c.encrypted ? "sealed" : "plain"}`;

/** Baseline, every configuration, ..., baseline: `baselines` has one more entry than each configuration's runs. */
async function measure(
  baseline: Awaited<ReturnType<typeof startBaseline>>,
  routes: Map<RunnerCount, RouteRunner[]>,
): Promise<{ baselines: Run[]; runs: Map<Config, Run[]>; stepRuns: Map<Config, Run[]> }> {
  const run = (config: Config, tokens: number, eachStep: boolean) =>
    throughRoute(routes.get(config.runners)!, config, tokens, eachStep);
  await baseline.run(WARMUP_TOKENS);
  for (const config of CONFIGS) await run(config, WARMUP_TOKENS, false);
  const baselines = [await baseline.run(NEW_TOKENS)];
  const runs = new Map(CONFIGS.map((c) => [c, [] as Run[]]));
  const stepRuns = new Map(CONFIGS.map((c) => [c, [] as Run[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const config of CONFIGS) {
      // The throughput run goes first in even rounds, second in odd ones, so neither always follows the other.
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const eachStep of order) {
        (eachStep ? stepRuns : runs).get(config)!.push(await run(config, NEW_TOKENS, eachStep));
      }
    }
    baselines.push(await baseline.run(NEW_TOKENS));
    console.log(
      `round ${round + 1}/${ROUNDS}: unsharded ${baselines.at(-1)!.tps.toFixed(1)} tok/s; ${CONFIGS.map(
        (c) => `${label(c)} ${runs.get(c)!.at(-1)!.tps.toFixed(1)}`,
      ).join(", ")}`,
    );
  }
  return { baselines, runs, stepRuns };
}

function summarize(config: Config, runs: Run[], stepRuns: Run[], baselines: Run[]) {
  const ratios = runs.map((r, round) => r.tps / ((baselines[round]!.tps + baselines[round + 1]!.tps) / 2));
  const perHop = stepRuns.flatMap((r) => r.perHopMs);
  return {
    ...config,
    hops: config.topology === "gateway" ? 2 * config.runners : config.runners + 1,
    tokensPerSecond: spread(runs.map((r) => r.tps)),
    ratioToUnsharded: spread(ratios),
    ratioTarget: TARGETS.ratio[config.runners],
    perHopOverheadMs: {
      p50: median(perHop),
      p99: quantile(perHop, 0.99),
      meanInThroughputRuns: median(runs.map((r) => r.meanHopMs)),
    },
    bytesPerTokenPerHop: median(runs.map((r) => r.bytesPerTokenPerHop)),
    tokensMatchUnsharded: [...runs, ...stepRuns].every(
      (r) => r.tokens.join() === baselines[0]!.tokens.join(),
    ),
  };
}

function jsonFloatBytesPerToken(): number {
  const activation = Float32Array.from(
    { length: BENCH_SHAPE.hiddenSize },
    (_, i) => Math.sin(i * 1.7) * 1.3 + Math.cos(i) * 0.01,
  );
  return Buffer.byteLength(JSON.stringify(Array.from(activation)));
}

const range = (s: Spread, digits: number) =>
  `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;

async function main(): Promise<void> {
  mkdirSync(modelsDir, { recursive: true });
  const loadBefore = os.loadavg();
  console.log(`${ROUNDS} rounds of ${NEW_TOKENS} tokens, onnxruntime on ${THREADS} thread(s) everywhere`);
  const loopback = await measureLoopbackRoundTrip();
  const contention = await shardContention();
  const baseline = await startBaseline();
  const started = await Promise.all(RUNNER_COUNTS.map(async (n) => [n, await startRoute(n)] as const));
  try {
    const routes = new Map(started.map(([n, { route }]) => [n, route]));
    const { baselines, runs, stepRuns } = await measure(baseline, routes);
    const rows = CONFIGS.map((c) => summarize(c, runs.get(c)!, stepRuns.get(c)!, baselines));
    const jsonBytes = jsonFloatBytesPerToken();
    const unsharded = spread(baselines.map((b) => b.tps));
    const result = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        node: process.version,
        loadBefore,
        loadAfter: os.loadavg(),
        loopbackRoundTripUs: loopback,
        quarterShardDecodeMs: contention,
      },
      method: {
        rounds: ROUNDS,
        newTokens: NEW_TOKENS,
        threads: THREADS,
        quick: values.quick,
        transport: TRANSPORT,
      },
      model: BENCH_SHAPE,
      promptTokens: BENCH_PROMPT.length,
      unsharded: { tokensPerSecond: unsharded },
      targets: TARGETS,
      jsonFloatBytesPerTokenPerHop: jsonBytes,
      rows,
    };
    mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
    writeFileSync(join(repoRoot, "bench-results/pipeline.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `\nunsharded in process: ${range(unsharded, 1)} tok/s (median [min–max] of ${baselines.length} runs); ` +
        `JSON floats would take ${jsonBytes} B/token/hop; load average ${loadBefore[0]!.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)}\n` +
        `loopback TCP round trip on this machine, before any TeeTee code: ${loopback.hotUs} µs back to back, ` +
        `${loopback.afterIdleUs} µs after both sides slept ${loopback.idleMs} ms\n` +
        `a quarter of the model decodes a token in ${contention.aloneMs.toFixed(2)} ms alone, ` +
        `${contention.besideBusyProcessesMs.map((ms, k) => `${ms.toFixed(2)} ms beside ${k + 1}`).join(", ")} ` +
        `busy process(es), ` +
        `${contention.afterSleepMs.toFixed(2)} ms right after sleeping ${contention.sleepMs} ms`,
    );
    console.table(
      rows.map((r) => ({
        runners: r.runners,
        topology: r.topology,
        sealed: r.encrypted,
        "tok/s": range(r.tokensPerSecond, 1),
        "vs unsharded": range(r.ratioToUnsharded, 3),
        target: `≥${r.ratioTarget.toFixed(2)}`,
        "hop p50 ms": r.perHopOverheadMs.p50.toFixed(3),
        "hop p99 ms": r.perHopOverheadMs.p99.toFixed(3),
        "hop mean ms": r.perHopOverheadMs.meanInThroughputRuns.toFixed(3),
        "hop target": `p50 ≤${TARGETS.perHopP50Ms}`,
        "B/token/hop": r.bytesPerTokenPerHop.toFixed(0),
        "B target": `≤${TARGETS.bytesPerTokenPerHop}`,
        "JSON B": jsonBytes,
        "same tokens": r.tokensMatchUnsharded,
      })),
    );
  } finally {
    await baseline.release();
    await Promise.all(started.map(([, { network }]) => network.stop()));
  }
}

await main();
process.exit(0);
