/**
 * Decode throughput of the bench model (Llama-shaped, ~67M parameters, random weights: the same model as
 * packages/inference/scripts/bench.ts) unsharded in one process vs 2 and 4 runner processes on loopback,
 * registered on a local chain with dev TEEs, for both topologies, with encryption on and off. Also per-hop
 * added latency and bytes per token per hop, beside what the same activations take as JSON float lists.
 *   pnpm exec tsx scripts/benchPipeline.ts [--tokens 64] [--runs 2]
 * Results: bench-results/pipeline.json and a table.
 *
 * Per-hop overhead: each decode step's latency through the runners minus the median step latency of the same
 * shards chained in this process (the compute), divided by the hops a token takes (2N gateway, N+1 forward).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generate, loadManifest, type makeTestModel, ShardSession } from "../packages/inference/src/index.js";
import { prepareShardedModel, repoRoot, startTestNetwork } from "../packages/runner/test/localNetwork.js";
import { createPipelineSession, type PipelineTopology, type RouteRunner } from "../packages/sdk/src/index.js";

const BENCH_SHAPE = {
  architecture: "LlamaForCausalLM",
  seed: 2024,
  hiddenSize: 512,
  intermediateSize: 1536,
  numLayers: 16,
  numHeads: 8,
  numKvHeads: 4,
  vocabSize: 16384,
  maxPositions: 512,
  tieWordEmbeddings: false,
} as const satisfies Omit<Parameters<typeof makeTestModel>[0], "dir">;
const PROMPT = Array.from({ length: 16 }, (_, i) => 10 + i * 7);
const RUNNER_COUNTS = [2, 4] as const;
const modelsDir = join(repoRoot, "packages/inference/.models");

/** The inference bench's shards when it already wrote them (same shape and seed), else made here. */
async function benchShards(count: number) {
  const existing = join(modelsDir, `bench-shards-${count}`);
  if (existsSync(join(existing, "manifest.json")))
    return { shardDir: existing, manifest: await loadManifest(existing) };
  return prepareShardedModel({
    dir: join(modelsDir, "bench-pipeline"),
    shardCount: count,
    shape: BENCH_SHAPE,
  });
}

const { values } = parseArgs({
  options: { tokens: { type: "string", default: "64" }, runs: { type: "string", default: "2" } },
});
const NEW_TOKENS = Number(values.tokens);
const RUNS = Number(values.runs);

type Row = {
  runners: number;
  topology: PipelineTopology;
  encrypted: boolean;
  tokensPerSecond: number;
  ratioToUnsharded: number;
  hops: number;
  perHopOverheadMs: { p50: number; p99: number };
  bytesPerTokenPerHop: number;
  tokensMatchUnsharded: boolean;
};

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Decode step latencies (ms) and tokens of an in-process chain. */
async function inProcess(
  dir: string,
  count: number,
): Promise<{ stepsMs: number[]; tokens: number[]; tps: number }> {
  const shards = await Promise.all(
    Array.from({ length: count }, (_, shardIndex) => ShardSession.create({ dir, shardIndex, verify: false })),
  );
  await generate({ shards, promptIds: PROMPT, maxTokens: 8 });
  const stepsMs: number[] = [];
  const rates: number[] = [];
  let tokens: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const times: number[] = [];
    tokens = (
      await generate({
        shards,
        promptIds: PROMPT,
        maxTokens: NEW_TOKENS,
        onToken: () => times.push(performance.now()),
      })
    ).tokens;
    for (let i = 1; i < times.length; i++) stepsMs.push(times[i]! - times[i - 1]!);
    rates.push(((times.length - 1) * 1000) / (times.at(-1)! - times[0]!));
  }
  await Promise.all(shards.map((shard) => shard.release()));
  return { stepsMs, tokens, tps: median(rates) };
}

async function metricTotal(url: string, name: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

/** One generation through the runners: decode step latencies, tokens, and bytes each runner received while decoding. */
async function throughRoute(route: RouteRunner[], topology: PipelineTopology, encrypt: boolean) {
  const session = createPipelineSession({ route, topology, encrypt, activationDtype: "fp16" });
  const tokens: number[] = [];
  const stepsMs: number[] = [];
  let token = await session.prefill(PROMPT);
  tokens.push(token.tokenId);
  const before = await Promise.all(
    route.map((r) => metricTotal(r.endpoint, "teetee_runner_received_bytes_total")),
  );
  const sentBefore = [...session.traffic.bytesSent];
  let last = performance.now();
  const start = last;
  while (tokens.length < NEW_TOKENS) {
    token = await session.decode(token.tokenId);
    const now = performance.now();
    stepsMs.push(now - last);
    last = now;
    tokens.push(token.tokenId);
  }
  const elapsed = last - start;
  const after = await Promise.all(
    route.map((r) => metricTotal(r.endpoint, "teetee_runner_received_bytes_total")),
  );
  await session.close();
  const steps = NEW_TOKENS - 1;
  // Bytes of activations between runners per decode step: what runners 1..N-1 received (forward), or what the
  // client sent to them (gateway); frames into runner 0 carry a token id, not activations.
  const activationHops = route.length - 1;
  const activationBytes =
    topology === "forward"
      ? after.slice(1).reduce((n, b, i) => n + b - before[i + 1]!, 0)
      : session.traffic.bytesSent.slice(1).reduce((n, b, i) => n + b - sentBefore[i + 1]!, 0);
  return {
    tokens,
    stepsMs,
    tps: (steps * 1000) / elapsed,
    bytesPerTokenPerHop: activationBytes / steps / activationHops,
  };
}

async function main(): Promise<void> {
  mkdirSync(modelsDir, { recursive: true });
  const whole = await benchShards(1);
  console.log("unsharded, in process ...");
  const baseline = await inProcess(whole.shardDir, 1);
  const hidden = BENCH_SHAPE.hiddenSize;
  const activation = Float32Array.from(
    { length: hidden },
    (_, i) => Math.sin(i * 1.7) * 1.3 + Math.cos(i) * 0.01,
  );
  const jsonBytesPerToken = Buffer.byteLength(JSON.stringify(Array.from(activation)));
  const rows: Row[] = [];
  for (const count of RUNNER_COUNTS) {
    const sharded = await benchShards(count);
    console.log(`${count} shards chained in process ...`);
    const compute = await inProcess(sharded.shardDir, count);
    const computeMs = median(compute.stepsMs);
    console.log(`${count} runner processes ...`);
    const network = await startTestNetwork({
      shardDir: sharded.shardDir,
      runnerArgs: ["--allow-plaintext-frames"],
    });
    try {
      const runners = await Promise.all(
        sharded.manifest.shards.map((_, index) => network.spawnRunner(index)),
      );
      const route = runners.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey }));
      for (const topology of ["forward", "gateway"] as const) {
        for (const encrypted of [true, false]) {
          await throughRoute(route, topology, encrypted);
          const results = [];
          for (let run = 0; run < RUNS; run++) results.push(await throughRoute(route, topology, encrypted));
          const hops = topology === "gateway" ? 2 * count : count + 1;
          const perHop = results.flatMap((r) => r.stepsMs).map((ms) => (ms - computeMs) / hops);
          const tps = median(results.map((r) => r.tps));
          rows.push({
            runners: count,
            topology,
            encrypted,
            tokensPerSecond: tps,
            ratioToUnsharded: tps / baseline.tps,
            hops,
            perHopOverheadMs: { p50: quantile(perHop, 0.5), p99: quantile(perHop, 0.99) },
            bytesPerTokenPerHop: median(results.map((r) => r.bytesPerTokenPerHop)),
            tokensMatchUnsharded: results.every((r) => r.tokens.join() === baseline.tokens.join()),
          });
          console.log(`  ${topology} ${encrypted ? "sealed" : "plain"}: ${tps.toFixed(1)} tok/s`);
        }
      }
    } finally {
      await network.stop();
    }
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    model: BENCH_SHAPE,
    promptTokens: PROMPT.length,
    newTokens: NEW_TOKENS,
    runs: RUNS,
    unsharded: { tokensPerSecond: baseline.tps, stepMsP50: median(baseline.stepsMs) },
    targets: { ratio2: 0.9, ratio4: 0.8, perHopP50Ms: 1, bytesPerTokenPerHop: hidden * 2 + 256 },
    jsonFloatBytesPerTokenPerHop: jsonBytesPerToken,
    rows,
  };
  mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
  writeFileSync(join(repoRoot, "bench-results/pipeline.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `\nunsharded in process: ${baseline.tps.toFixed(1)} tok/s; JSON floats would take ${jsonBytesPerToken} B/token/hop`,
  );
  console.table(
    rows.map((r) => ({
      runners: r.runners,
      topology: r.topology,
      sealed: r.encrypted,
      "tok/s": r.tokensPerSecond.toFixed(1),
      "vs unsharded": r.ratioToUnsharded.toFixed(3),
      "hop p50 ms": r.perHopOverheadMs.p50.toFixed(3),
      "hop p99 ms": r.perHopOverheadMs.p99.toFixed(3),
      "B/token/hop": r.bytesPerTokenPerHop.toFixed(0),
      "same tokens": r.tokensMatchUnsharded,
    })),
  );
}

await main();
process.exit(0);
