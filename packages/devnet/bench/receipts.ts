/**
 * What receipts cost: the per-token hashing a runner does for its receipt, and what asking a route for its receipts
 * adds to a response, in time and bytes per runner.
 *   pnpm exec tsx packages/devnet/bench/receipts.ts [--runners 2] [--tokens 64] [--rounds 6] [--threads 1]
 * Results: bench-results/receipts.json and a table.
 *
 * Method. (1) In this process, the runner's per-token receipt work (Node's SHA-256 over one position record in
 * and one out: an fp16 activation row of the bench model's width, or of TinyLlama's 2048, or a token id), timed
 * over many positions, median of rounds; it is paid on every token whatever the caller asks, so it is reported as a
 * share of the decode step measured in (2). (2) Through runner processes on a local chain (bench model, fp16
 * activations, sealed frames), generations with and without `receipts()` before `close()`, paired in each round in
 * alternating order, for both topologies: decode tokens/s, the `receipts()` call's latency, and the bytes it put on
 * the wire per runner (everything, on the caller's links, in the gateway topology; in the forward one the caller's
 * link and the requests runners send each other, not their answers back), with
 * the CPU seconds of the runner processes and of this process over each generation.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_PROMPT, BENCH_SHAPE } from "@teetee/inference/benchModel";
import { createPipelineSession, type PipelineTopology, type RouteRunner } from "@teetee/sdk/pipeline";
import { ReceiptHasher } from "@teetee/sdk/receipts";
import {
  prepareShardedModel,
  repoRoot,
  type SpawnedRunner,
  startTestNetwork,
} from "../src/testing/localNetwork.js";

const { values } = parseArgs({
  options: {
    runners: { type: "string", default: "2" },
    tokens: { type: "string", default: "64" },
    rounds: { type: "string", default: "6" },
    threads: { type: "string", default: "1" },
  },
});
const RUNNERS = Number(values.runners);
const NEW_TOKENS = Number(values.tokens);
const ROUNDS = Number(values.rounds);
const THREADS = Number(values.threads);
const TOPOLOGIES = ["forward", "gateway"] as const satisfies readonly PipelineTopology[];

type Spread = { median: number; min: number; max: number };
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const spread = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const show = (s: Spread, digits: number) =>
  `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;

/** Microseconds of receipt hashing per token on one runner: one record in, one out. */
function hashingMicros(kind: "rows" | "tokens", width: number): Spread {
  const row = Uint16Array.from({ length: width }, (_, i) => (i * 2654435761) & 0xffff);
  const positions = 20_000;
  const rounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    const input = new ReceiptHasher(() => createHash("sha256"));
    const output = new ReceiptHasher(() => createHash("sha256"));
    const started = performance.now();
    for (let p = 0; p < positions; p++) {
      if (kind === "rows") {
        input.rows(p, row, width);
        output.rows(p, row, width);
      } else {
        input.tokens(p, [p & 0xffff]);
        output.tokens(p + 1, [p & 0xffff]);
      }
    }
    input.digest();
    output.digest();
    rounds.push(((performance.now() - started) * 1000) / positions);
  }
  return spread(rounds.slice(2));
}

/** CPU seconds used so far by every process in a runner's process group (pnpm, tsx and the runner itself). */
function groupCpuSeconds(runner: SpawnedRunner): number {
  const group = runner.process.pid!;
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === group) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended while we looked
    }
  }
  return ticks / 100;
}

async function receivedBytes(route: RouteRunner[]): Promise<number[]> {
  return Promise.all(
    route.map(async (r) => {
      const text = await fetch(`${r.endpoint}/metrics`).then((res) => res.text());
      return Number(/^teetee_runner_received_bytes_total (\S+)$/m.exec(text)?.[1] ?? 0);
    }),
  );
}

type Run = {
  tps: number;
  receiptsMs: number | undefined;
  receiptBytesPerRunner: number | undefined;
  runnerCpuMsPerToken: number;
  benchCpuMsPerToken: number;
};

async function generation(
  route: RouteRunner[],
  runners: SpawnedRunner[],
  topology: PipelineTopology,
  withReceipts: boolean,
): Promise<Run> {
  const cpuBefore = sum(runners.map(groupCpuSeconds));
  const benchBefore = process.cpuUsage();
  const session = createPipelineSession({ route, topology, activationDtype: "fp16" });
  let token = await session.prefill(BENCH_PROMPT);
  const started = performance.now();
  for (let i = 1; i < NEW_TOKENS; i++) token = await session.decode(token.tokenId);
  const decodeMs = performance.now() - started;
  let receiptsMs: number | undefined;
  let receiptBytesPerRunner: number | undefined;
  if (withReceipts) {
    const linkBytes = sum(session.traffic.bytesSent) + sum(session.traffic.bytesReceived);
    const before = await receivedBytes(route);
    const asked = performance.now();
    const receipts = await session.receipts();
    receiptsMs = performance.now() - asked;
    if (receipts.length !== route.length) throw new Error("short receipt chain");
    const after = await receivedBytes(route);
    // The caller's links carry everything in the gateway topology; forwarding adds the receipt frames runners
    // send each other (their answers back, one receipt fewer each hop, are not counted by any runner metric).
    const wire =
      sum(session.traffic.bytesSent) +
      sum(session.traffic.bytesReceived) -
      linkBytes +
      (topology === "forward" ? sum(after.slice(1).map((b, i) => b - before[i + 1]!)) : 0);
    receiptBytesPerRunner = wire / route.length;
  }
  await session.close();
  const cpu = sum(runners.map(groupCpuSeconds)) - cpuBefore;
  const bench = process.cpuUsage(benchBefore);
  return {
    tps: ((NEW_TOKENS - 1) * 1000) / decodeMs,
    receiptsMs,
    receiptBytesPerRunner,
    runnerCpuMsPerToken: (cpu * 1000) / NEW_TOKENS,
    benchCpuMsPerToken: (bench.user + bench.system) / 1000 / NEW_TOKENS,
  };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const hashing = {
    benchWidthFp16Row: hashingMicros("rows", BENCH_SHAPE.hiddenSize),
    tinyLlamaWidthFp16Row: hashingMicros("rows", 2048),
    tokenIds: hashingMicros("tokens", 1),
  };
  const modelsDir = join(repoRoot, "packages/inference/.models");
  const { shardDir } = await prepareShardedModel({
    dir: join(modelsDir, `bench-pipeline-${RUNNERS}`),
    shardCount: RUNNERS,
    shape: BENCH_SHAPE,
  });
  const network = await startTestNetwork({ shardDir, runnerArgs: ["--threads", String(THREADS)] });
  try {
    const runners = await Promise.all(Array.from({ length: RUNNERS }, (_, i) => network.spawnRunner(i)));
    const route = runners.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey }));
    for (const topology of TOPOLOGIES) await generation(route, runners, topology, true);
    const runs = new Map(TOPOLOGIES.flatMap((t) => [true, false].map((on) => [`${t} ${on}`, [] as Run[]])));
    for (let round = 0; round < ROUNDS; round++) {
      for (const topology of TOPOLOGIES) {
        for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
          runs.get(`${topology} ${on}`)!.push(await generation(route, runners, topology, on));
        }
      }
      console.log(`round ${round + 1}/${ROUNDS}`);
    }
    const rows = TOPOLOGIES.map((topology) => {
      const on = runs.get(`${topology} true`)!;
      const off = runs.get(`${topology} false`)!;
      const stepMs = 1000 / median(off.map((r) => r.tps));
      return {
        topology,
        runners: RUNNERS,
        tokensPerSecondWithout: spread(off.map((r) => r.tps)),
        tokensPerSecondWith: spread(on.map((r) => r.tps)),
        pairedRatio: spread(on.map((r, i) => r.tps / off[i]!.tps)),
        receiptsCallMs: spread(on.map((r) => r.receiptsMs!)),
        receiptsCallShareOfResponse: median(
          on.map((r) => r.receiptsMs! / ((NEW_TOKENS - 1) * (1000 / r.tps))),
        ),
        receiptBytesPerRunner: spread(on.map((r) => r.receiptBytesPerRunner!)),
        hashingShareOfDecodeStep: hashing.benchWidthFp16Row.median / 1000 / stepMs,
        runnerCpuMsPerTokenWith: spread(on.map((r) => r.runnerCpuMsPerToken)),
        runnerCpuMsPerTokenWithout: spread(off.map((r) => r.runnerCpuMsPerToken)),
        benchCpuMsPerTokenWith: spread(on.map((r) => r.benchCpuMsPerToken)),
        benchCpuMsPerTokenWithout: spread(off.map((r) => r.benchCpuMsPerToken)),
      };
    });
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, loadBefore, loadAfter: os.loadavg() },
      method: { runners: RUNNERS, newTokens: NEW_TOKENS, rounds: ROUNDS, threads: THREADS },
      hashingMicrosPerTokenPerRunner: hashing,
      rows,
    };
    mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
    writeFileSync(join(repoRoot, "bench-results/receipts.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `receipt hashing per token per runner (µs, median [min–max]): bench row ${show(hashing.benchWidthFp16Row, 2)}, ` +
        `2048-wide row ${show(hashing.tinyLlamaWidthFp16Row, 2)}, token ids ${show(hashing.tokenIds, 2)}; ` +
        `load ${loadBefore[0]!.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs`,
    );
    console.table(
      rows.map((r) => ({
        topology: r.topology,
        "tok/s without": show(r.tokensPerSecondWithout, 1),
        "tok/s with": show(r.tokensPerSecondWith, 1),
        "paired ratio": show(r.pairedRatio, 3),
        "hashing / step": `${(r.hashingShareOfDecodeStep * 100).toFixed(3)}%`,
        "receipts() ms": show(r.receiptsCallMs, 2),
        "receipts() / response": `${(r.receiptsCallShareOfResponse * 100).toFixed(2)}%`,
        "B/runner": show(r.receiptBytesPerRunner, 0),
        "runner CPU ms/token with": show(r.runnerCpuMsPerTokenWith, 2),
        without: show(r.runnerCpuMsPerTokenWithout, 2),
      })),
    );
  } finally {
    await network.stop();
  }
}

await main();
process.exit(0);
