/**
 * Soak test of the local network: `pnpm start` in its own output folder, then many concurrent streaming chat
 * completions of the demo buyer for a fixed time, on loopback only, then one more request that must be served,
 * then settlement: the runners redeem their vouchers once idle (the devnet's settlers: TEETEE_SETTLE_IDLE_MS), and
 * what the escrow paid on every channel the soak used must be the usage the gateway reported, at the model's
 * on-chain prices.
 *
 *   pnpm soak [--streams 50] [--minutes 5] [--max-tokens 32] [--out .teetee/soak]
 *
 * Prints and writes `<out>/soak-report.json`: requests served, refusals by status, tokens/s, p50/p95 time to first
 * token, and every 15 s (5 s in soaks of up to two minutes), with the load average, for the gateway and each runner:
 * RSS and CPU seconds (Linux /proc) and the live heap after a forced full GC; then each process's slopes of both
 * after warm-up (the first minute; in soaks shorter than three minutes, the first half, and then not judged) in
 * MiB/min, and the settlement check.
 *
 * Memory is judged on the live heap: RSS of a V8 process is a sawtooth of lazy collections, and heap the allocator
 * keeps after a peak never goes back, so its slope says little. The services run with `--inspect=127.0.0.1:0`
 * (TEETEE_DEVNET_NODE_OPTIONS) and each sample connects to each one's inspector (its URL from the service's log) to
 * force a full GC and read `heapUsed` (see `lib/heapAfterGc.ts`); the pause is that of one full GC per sample. The
 * gateway keeps at most 200 receipt bundles here (TEETEE_RECEIPTS_MAX_ENTRIES), so its bounded receipt store fills
 * during warm-up and is not mistaken for a leak.
 *
 * Exits 1 when a request ended other than served or refused with a deliberate 503, the request after the soak
 * failed, settlement differs from the reported usage, or after warm-up a process's live heap grew faster than
 * 1 MiB/min or its RSS faster than 5 MiB/min.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseDeployment } from "@teetee/contracts/deployments";
import { defineChainAt, getChannelPaid, getModel, getModelIds } from "@teetee/sdk/contracts";
import { createPublicClient, type Hex, http, type PublicClient } from "viem";
import { slope } from "./lib/concurrencyStats.js";
import {
  type DevnetEnv,
  type ServiceProcess,
  type StreamedRequest,
  serviceProcesses,
  sleep,
  startDevnet,
  streamOnce,
} from "./lib/devnetProcess.js";
import { heapAfterGc, inspectorUrlOf } from "./lib/heapAfterGc.js";
import { checkSettlement, type ReportedUsage } from "./lib/settlement.js";
import { summarizeSoak } from "./lib/soakStats.js";

const repoRoot = resolve(import.meta.dirname, "../../..");
/** Growth after warm-up above these, per process, fails the soak: the live heap's, and RSS's (allocator slack). */
const FLAT_HEAP_MIB_PER_MIN = 1;
const FLAT_RSS_MIB_PER_MIN = 5;
/** What the soak's network runs with: inspectors on the services for heap samples, a receipt store that fills. */
const SOAK_ENV = { TEETEE_DEVNET_NODE_OPTIONS: "--inspect=127.0.0.1:0", TEETEE_RECEIPTS_MAX_ENTRIES: "200" };

const { values } = parseArgs({
  options: {
    streams: { type: "string", default: "50" },
    minutes: { type: "string", default: "5" },
    "max-tokens": { type: "string", default: "32" },
    out: { type: "string", default: ".teetee/soak" },
  },
});
const streams = Number(values.streams);
const seconds = Number(values.minutes) * 60;
const maxTokens = Number(values["max-tokens"]);
const out = resolve(repoRoot, values.out!);
if (!(streams >= 1 && streams <= 500 && seconds > 0 && seconds <= 3600 && maxTokens >= 1))
  throw new Error("--streams 1..500, --minutes up to 60, --max-tokens at least 1");
const SAMPLE_MS = seconds <= 120 ? 5_000 : 15_000;
/**
 * Memory is judged flat or not over the samples after the first minute, in soaks of at least three minutes; a
 * shorter soak reports the slopes over its second half, unjudged (its processes are still warming up: caches and
 * pools fill, V8's heaps grow, for about the first minute).
 */
const JUDGE_MEMORY = seconds >= 180;
const WARM_UP_SECONDS = JUDGE_MEMORY ? 60 : seconds / 2;

type SampledProcess = ServiceProcess & { name?: string; heapMiB?: number };
type Sample = { atSeconds: number; loadAverage: number[]; processes: SampledProcess[] };

const devnet = await startDevnet(repoRoot, out, [], SOAK_ENV);
process.once("SIGINT", () => void devnet.stop().then(() => process.exit(130)));

try {
  const { env, model } = devnet;
  console.error(`soak: ${streams} streams for ${seconds} s against ${env.TEETEE_GATEWAY_URL} (${model})`);
  const samples: Sample[] = [];
  const started = performance.now();
  const inspectors = serviceInspectors(out);
  console.error(`soak: heap samples over the inspectors of ${inspectors.map((i) => i.name).join(", ")}`);
  const sample = async () => {
    const atSeconds = Math.round((performance.now() - started) / 1000);
    const heaps = await Promise.all(
      inspectors.map(({ name, url }) =>
        heapAfterGc(url).then(
          (reading) => ({ name, ...reading }),
          (error: unknown) => {
            console.error(`soak: no heap reading of ${name}: ${String(error)}`);
            return undefined;
          },
        ),
      ),
    );
    const processes = serviceProcesses(devnet.child.pid!).map((p): SampledProcess => {
      const heap = heaps.find((h) => h?.pid === p.pid);
      return heap === undefined ? p : { ...p, name: heap.name, heapMiB: heap.heapUsedMiB };
    });
    samples.push({ atSeconds, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100), processes });
  };
  await sample();
  const deadline = started + seconds * 1000;
  const sampler = (async () => {
    for (let next = started + SAMPLE_MS; next < deadline; next += SAMPLE_MS) {
      await sleep(Math.max(0, next - performance.now()));
      await sample();
    }
  })();
  const results: StreamedRequest[] = [];
  await Promise.all(
    Array.from({ length: streams }, async (_, stream) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const prompt = `Soak stream ${stream}, request ${i}: tell me about shards.`;
        const result = await streamOnce(env, model, prompt, maxTokens);
        results.push(result);
        // A refused request waits as told before its stream tries again.
        if (result.status === 429 || result.status === 503) await sleep(1000);
      }
    }),
  );
  await sampler;
  await sample();
  const elapsed = (performance.now() - started) / 1000;
  const after = await streamOnce(env, model, "After the soak: are you still there?", maxTokens);
  results.push(after);
  const summary = summarizeSoak(results.slice(0, -1), elapsed);
  const errors = Object.entries(summary.refusedByStatus)
    .filter(([status]) => status !== "503")
    .reduce((sum, [, count]) => sum + count, 0);
  const memory = memorySlopes(samples);
  const settlement = await settle(env, results);
  const report = {
    streams,
    seconds: Math.round(elapsed),
    maxTokens,
    cpus: os.cpus().length,
    summary,
    errorsOtherThan503: errors,
    afterSoak: { ...after, tokenTimesMs: undefined, usage: undefined },
    memoryAfterWarmUp: memory,
    settlement,
    samples,
  };
  writeFileSync(join(out, "soak-report.json"), `${JSON.stringify(report, bigints, 2)}\n`);
  console.log(JSON.stringify(report, bigints, 2));
  console.error(
    `soak: ${summary.served} served of ${summary.requests}, refused ${JSON.stringify(summary.refusedByStatus)}, ` +
      `${errors} error(s) other than 503, ${summary.tokensPerSecond.toFixed(1)} tokens/s, ` +
      `TTFT p50 ${summary.ttftMs?.p50.toFixed(0)} ms p95 ${summary.ttftMs?.p95.toFixed(0)} ms; ` +
      `after the soak: ${after.status}\n` +
      `soak: after ${WARM_UP_SECONDS} s warm-up, MiB/min of live heap after GC / RSS` +
      `${JUDGE_MEMORY ? ` (flat: ≤${FLAT_HEAP_MIB_PER_MIN} / ≤${FLAT_RSS_MIB_PER_MIN})` : " (not judged: soak under 3 min)"}: ` +
      `${memory.map((m) => `${m.name} ${m.heapMiBPerMinute?.toFixed(2) ?? "n/a"} / ${m.rssMiBPerMinute?.toFixed(2) ?? "n/a"}${m.flat === false ? " GROWING" : ""}`).join(", ")}\n` +
      `soak: settlement ${settlement.ok ? "matches" : "DIFFERS from"} the reported usage: reported ${settlement.reported}, ` +
      `settled ${settlement.settled} over ${settlement.channels.length} channel(s)` +
      `${settlement.problems.length > 0 ? `; ${settlement.problems.join("; ")}` : ""}; report ${join(out, "soak-report.json")}`,
  );
  const ok =
    errors === 0 &&
    after.status === 200 &&
    after.brokenStream !== true &&
    settlement.ok &&
    memory.every((m) => m.flat !== false);
  process.exitCode = ok ? 0 : 1;
} finally {
  await devnet.stop();
}

/** The gateway's and runners' inspector URLs, from the log files `pnpm start` recorded in `<out>/devnet.json`. */
function serviceInspectors(folder: string): { name: string; url: string }[] {
  const state = JSON.parse(readFileSync(join(folder, "devnet.json"), "utf8")) as {
    services: { name: string; kind: string; logFile?: string }[];
  };
  return state.services.flatMap(({ name, kind, logFile }) => {
    if ((kind !== "gateway" && kind !== "runner") || logFile === undefined) return [];
    const url = inspectorUrlOf(readFileSync(logFile, "utf8"));
    if (url === undefined) throw new Error(`${name} printed no inspector URL in ${logFile}`);
    return [{ name, url }];
  });
}

/**
 * Each process's live-heap and RSS slopes over the samples after warm-up, with its samples; `flat` undefined with
 * fewer than three of them or in a soak too short to judge.
 */
function memorySlopes(samples: Sample[]) {
  const warm = samples.filter((s) => s.atSeconds >= WARM_UP_SECONDS);
  const pids = [...new Set(samples.flatMap((s) => s.processes.map((p) => p.pid)))];
  return pids.map((pid) => {
    const seen = samples.flatMap((s) => s.processes.filter((p) => p.pid === pid));
    const points = warm.flatMap((s) => {
      const p = s.processes.find((q) => q.pid === pid);
      return p === undefined ? [] : [{ atSeconds: s.atSeconds, rssMiB: p.rssMiB, heapMiB: p.heapMiB }];
    });
    const withHeap = points.filter((p) => p.heapMiB !== undefined);
    const perMinute = (xs: typeof points, y: (p: (typeof points)[number]) => number) =>
      slope(
        xs.map((p) => p.atSeconds / 60),
        xs.map(y),
      );
    const heapMiBPerMinute = perMinute(withHeap, (p) => p.heapMiB!);
    const rssMiBPerMinute = perMinute(points, (p) => p.rssMiB);
    const judged = JUDGE_MEMORY && withHeap.length >= 3 && heapMiBPerMinute !== undefined;
    return {
      name: seen.find((p) => p.name !== undefined)?.name ?? seen[0]!.role,
      role: seen[0]!.role,
      pid,
      heapMiBPerMinute,
      rssMiBPerMinute,
      flat: judged
        ? heapMiBPerMinute <= FLAT_HEAP_MIB_PER_MIN && (rssMiBPerMinute ?? 0) <= FLAT_RSS_MIB_PER_MIN
        : undefined,
      samples: points,
    };
  });
}

/**
 * Waits (up to two minutes) for the runners to redeem the last voucher of every channel the soak used, then
 * compares what the escrow paid with the usage the gateway reported, at the prices registered on-chain.
 */
async function settle(env: DevnetEnv, results: readonly StreamedRequest[]) {
  const usage: ReportedUsage[] = results.flatMap((r) => (r.usage === undefined ? [] : [r.usage]));
  const contracts = parseDeployment(JSON.parse(readFileSync(env.TEETEE_DEPLOYMENT, "utf8")));
  const chain = defineChainAt({ id: contracts.chainId, rpcUrl: env.TEETEE_RPC_URL });
  const client = createPublicClient({ chain, transport: http(env.TEETEE_RPC_URL) }) as PublicClient;
  const { ids } = await getModelIds(client, { contracts, offset: 0n, limit: 10n });
  if (ids.length !== 1) throw new Error(`expected the devnet's one model, found ${ids.length}`);
  const model = await getModel(client, { contracts, modelId: ids[0]! });
  const prices = { inputPricePerMTok: model.inputPricePerMTok, outputPricePerMTok: model.outputPricePerMTok };
  const last = new Map<Hex, bigint>();
  for (const u of usage)
    if (u.voucherAmount > (last.get(u.channelId) ?? 0n)) last.set(u.channelId, u.voucherAmount);
  const paid = new Map<Hex, bigint>();
  const startedAt = Date.now();
  for (;;) {
    for (const channelId of last.keys())
      paid.set(channelId, await getChannelPaid(client, { contracts, channelId }));
    if ([...last].every(([id, amount]) => paid.get(id) === amount) || Date.now() - startedAt > 120_000) break;
    await sleep(1000);
  }
  const check = checkSettlement(usage, prices, paid);
  return {
    ...check,
    waitedSeconds: Math.round((Date.now() - startedAt) / 1000),
    prices,
    paidRequests: usage.length,
    problems: check.channels.flatMap((c) => c.problems.map((p) => `${c.channelId.slice(0, 10)}…: ${p}`)),
  };
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
