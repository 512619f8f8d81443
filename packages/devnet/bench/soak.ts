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
 * token, the RSS and CPU seconds of the gateway and each runner (Linux /proc) every 15 s (5 s in soaks of up to two
 * minutes) with the load average, each process's RSS slope after warm-up (the first minute; in soaks shorter than
 * three minutes, the first half, and then not judged) in MiB/min, and the settlement check.
 * Exits 1 when a request ended other than served or refused with a deliberate 503, the request after the soak
 * failed, settlement differs from the reported usage, or a process's RSS grew faster than 2 MiB/min after warm-up.
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
import { checkSettlement, type ReportedUsage } from "./lib/settlement.js";
import { summarizeSoak } from "./lib/soakStats.js";

const repoRoot = resolve(import.meta.dirname, "../../..");
/** RSS growth after warm-up above this, per process, fails the soak. */
const FLAT_MIB_PER_MIN = 2;

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
 * RSS is judged flat or not over the samples after the first minute, in soaks of at least three minutes; a shorter
 * soak reports the slope over its second half, unjudged (its processes are still warming up: V8's heaps grow for
 * about the first minute).
 */
const JUDGE_RSS = seconds >= 180;
const WARM_UP_SECONDS = JUDGE_RSS ? 60 : seconds / 2;

type Sample = { atSeconds: number; loadAverage: number[]; processes: ServiceProcess[] };

const devnet = await startDevnet(repoRoot, out);
process.once("SIGINT", () => void devnet.stop().then(() => process.exit(130)));

try {
  const { env, model } = devnet;
  console.error(`soak: ${streams} streams for ${seconds} s against ${env.TEETEE_GATEWAY_URL} (${model})`);
  const samples: Sample[] = [];
  const started = performance.now();
  const sample = () =>
    samples.push({
      atSeconds: Math.round((performance.now() - started) / 1000),
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      processes: serviceProcesses(devnet.child.pid!),
    });
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  const deadline = started + seconds * 1000;
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
  clearInterval(sampler);
  sample();
  const elapsed = (performance.now() - started) / 1000;
  const after = await streamOnce(env, model, "After the soak: are you still there?", maxTokens);
  results.push(after);
  const summary = summarizeSoak(results.slice(0, -1), elapsed);
  const errors = Object.entries(summary.refusedByStatus)
    .filter(([status]) => status !== "503")
    .reduce((sum, [, count]) => sum + count, 0);
  const rss = rssSlopes(samples);
  const settlement = await settle(env, results);
  const report = {
    streams,
    seconds: Math.round(elapsed),
    maxTokens,
    cpus: os.cpus().length,
    summary,
    errorsOtherThan503: errors,
    afterSoak: { ...after, tokenTimesMs: undefined, usage: undefined },
    rssAfterWarmUp: rss,
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
      `soak: RSS after ${WARM_UP_SECONDS} s warm-up, MiB/min${JUDGE_RSS ? ` (flat: ≤${FLAT_MIB_PER_MIN})` : " (not judged: soak under 3 min)"}: ` +
      `${rss.map((r) => `${r.role} ${r.mibPerMinute?.toFixed(2) ?? "n/a"}${r.flat === false ? " GROWING" : ""}`).join(", ")}\n` +
      `soak: settlement ${settlement.ok ? "matches" : "DIFFERS from"} the reported usage: reported ${settlement.reported}, ` +
      `settled ${settlement.settled} over ${settlement.channels.length} channel(s)` +
      `${settlement.problems.length > 0 ? `; ${settlement.problems.join("; ")}` : ""}; report ${join(out, "soak-report.json")}`,
  );
  const ok =
    errors === 0 &&
    after.status === 200 &&
    after.brokenStream !== true &&
    settlement.ok &&
    rss.every((r) => r.flat !== false);
  process.exitCode = ok ? 0 : 1;
} finally {
  await devnet.stop();
}

/** Each process's RSS slope over the samples after warm-up; `flat` undefined with fewer than three of them. */
function rssSlopes(samples: Sample[]) {
  const warm = samples.filter((s) => s.atSeconds >= WARM_UP_SECONDS);
  const keys = [...new Set(warm.flatMap((s) => s.processes.map((p) => `${p.role}#${p.pid}`)))];
  return keys.map((key) => {
    const points = warm.flatMap((s) => {
      const p = s.processes.find((q) => `${q.role}#${q.pid}` === key);
      return p === undefined ? [] : [{ minute: s.atSeconds / 60, rssMiB: p.rssMiB }];
    });
    const mibPerMinute = slope(
      points.map((p) => p.minute),
      points.map((p) => p.rssMiB),
    );
    return {
      role: key.slice(0, key.indexOf("#")),
      pid: Number(key.slice(key.indexOf("#") + 1)),
      samples: points.length,
      mibPerMinute,
      flat:
        !JUDGE_RSS || points.length < 3 || mibPerMinute === undefined
          ? undefined
          : mibPerMinute <= FLAT_MIB_PER_MIN,
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
