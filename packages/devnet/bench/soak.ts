/**
 * Soak test of the local network: `pnpm start` in its own output folder, then many concurrent streaming chat
 * completions of the demo buyer for a fixed time, on loopback only, then one more request that must be served.
 *
 *   pnpm soak [--streams 50] [--minutes 5] [--max-tokens 32] [--out .teetee/soak]
 *
 * Prints and writes `<out>/soak-report.json`: requests served, refusals by status, tokens/s, p50/p95 time to first
 * token, and every 15 s the RSS and CPU seconds of the gateway and each runner (Linux /proc), with the load average.
 * Exits 1 when a request ended other than served or refused with 429/503, or the request after the soak failed.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type SoakRequest, SseDataReader, summarizeSoak } from "./lib/soakStats.js";

const repoRoot = resolve(import.meta.dirname, "..");
const SAMPLE_MS = 15_000;

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

type Env = { TEETEE_GATEWAY_URL: string; TEETEE_API_KEY: string };
type Sample = {
  atSeconds: number;
  loadAverage: number[];
  processes: { role: string; pid: number; rssMiB: number; cpuSeconds: number }[];
};

const network = spawn("pnpm", ["start", "--out", out], {
  cwd: repoRoot,
  stdio: ["ignore", "ignore", "inherit"],
  detached: true,
});
let stopping = false;
const stopNetwork = async () => {
  if (stopping) return;
  stopping = true;
  const exited = new Promise((done) => network.once("exit", done));
  if (network.exitCode === null) process.kill(-network.pid!, "SIGINT");
  // Bounded: a network that does not stop within a minute is left to the caller, and the timer must not hold us.
  await Promise.race([exited, new Promise((done) => setTimeout(done, 60_000).unref())]);
};
process.once("SIGINT", () => void stopNetwork().then(() => process.exit(130)));

try {
  const env = await waitForNetwork();
  const model = await firstModel(env);
  console.error(`soak: ${streams} streams for ${seconds} s against ${env.TEETEE_GATEWAY_URL} (${model})`);
  const samples: Sample[] = [];
  const started = performance.now();
  const sample = () =>
    samples.push({
      atSeconds: Math.round((performance.now() - started) / 1000),
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      processes: serviceProcesses(network.pid!),
    });
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  const deadline = started + seconds * 1000;
  const results: SoakRequest[] = [];
  await Promise.all(
    Array.from({ length: streams }, async (_, stream) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const result = await streamOnce(
          env,
          model,
          `Soak stream ${stream}, request ${i}: tell me about shards.`,
        );
        results.push(result);
        // A refused request waits as told before its stream tries again.
        if (result.status === 429 || result.status === 503) await sleep(1000);
      }
    }),
  );
  clearInterval(sampler);
  sample();
  const elapsed = (performance.now() - started) / 1000;
  const after = await streamOnce(env, model, "After the soak: are you still there?");
  const summary = summarizeSoak(results, elapsed);
  const unexpected = Object.keys(summary.refusedByStatus).filter(
    (status) => status !== "429" && status !== "503",
  );
  const report = {
    streams,
    seconds: Math.round(elapsed),
    maxTokens,
    cpus: os.cpus().length,
    summary,
    afterSoak: after,
    samples,
  };
  writeFileSync(join(out, "soak-report.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  console.error(
    `soak: ${summary.served} served of ${summary.requests}, refused ${JSON.stringify(summary.refusedByStatus)}, ` +
      `${summary.tokensPerSecond.toFixed(1)} tokens/s, TTFT p50 ${summary.ttftMs?.p50.toFixed(0)} ms p95 ` +
      `${summary.ttftMs?.p95.toFixed(0)} ms; after the soak: ${after.status}; report ${join(out, "soak-report.json")}`,
  );
  process.exitCode = unexpected.length === 0 && after.status === 200 && after.brokenStream !== true ? 0 : 1;
} finally {
  await stopNetwork();
}

/** Waits for `pnpm start` to write its devnet.env and its gateway to be ready. */
async function waitForNetwork(): Promise<Env> {
  const file = join(out, "devnet.env");
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    if (network.exitCode !== null) throw new Error(`pnpm start exited with ${network.exitCode}`);
    if (existsSync(file)) {
      const env = Object.fromEntries(
        readFileSync(file, "utf8")
          .split("\n")
          .filter((line) => /^[A-Z_]+=/.test(line))
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      ) as Env;
      const ready = await fetch(`${env.TEETEE_GATEWAY_URL}/readyz`).catch(() => undefined);
      if (ready?.ok) return env;
    }
    await sleep(1000);
  }
  throw new Error("the local network was not ready within 10 minutes");
}

async function firstModel(env: Env): Promise<string> {
  const list = (await (await fetch(`${env.TEETEE_GATEWAY_URL}/v1/models`)).json()) as {
    data: { id: string }[];
  };
  const id = list.data[0]?.id;
  if (id === undefined) throw new Error("the gateway serves no model");
  return id;
}

/** One streaming chat completion, timed. */
async function streamOnce(env: Env, model: string, content: string): Promise<SoakRequest> {
  const sent = performance.now();
  let ttftMs: number | undefined;
  let completionTokens = 0;
  try {
    const response = await fetch(`${env.TEETEE_GATEWAY_URL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.TEETEE_API_KEY}` },
      body: JSON.stringify({
        model,
        messages: [{ role: "user", content }],
        max_tokens: maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    if (response.status !== 200 || response.body === null) {
      const text = await response.text();
      const message = (JSON.parse(text || "{}") as { error?: { message?: string } }).error?.message ?? text;
      return { status: response.status, totalMs: performance.now() - sent, completionTokens: 0, message };
    }
    const reader = new SseDataReader();
    const decoder = new TextDecoder();
    let done = false;
    let failed = false;
    let message: string | undefined;
    for await (const chunk of response.body) {
      for (const data of reader.push(decoder.decode(chunk, { stream: true }))) {
        if (data === "[DONE]") {
          done = true;
          continue;
        }
        const event = JSON.parse(data) as {
          error?: unknown;
          choices?: { delta?: { content?: string } }[];
          usage?: { completion_tokens: number } | null;
        };
        if (event.error !== undefined) {
          failed = true;
          message = JSON.stringify(event.error);
        }
        if (ttftMs === undefined && (event.choices?.[0]?.delta?.content ?? "") !== "")
          ttftMs = performance.now() - sent;
        if (event.usage != null) completionTokens = event.usage.completion_tokens;
      }
    }
    return {
      status: 200,
      ...(ttftMs === undefined ? {} : { ttftMs }),
      totalMs: performance.now() - sent,
      completionTokens,
      ...(done && !failed
        ? {}
        : { brokenStream: true, message: message ?? "the stream ended without [DONE]" }),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      status: 0,
      totalMs: performance.now() - sent,
      completionTokens,
      message: cause ?? String(error),
    };
  }
}

/** The gateway and runner processes under `root` (Linux /proc): the node process running each entry point. */
function serviceProcesses(root: number): Sample["processes"] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const underRoot = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++)
      if (p === root) return true;
    return false;
  };
  const found: Sample["processes"] = [];
  const ticks = 100; // USER_HZ on Linux
  for (const pid of parents.keys()) {
    if (!underRoot(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      // The node process itself, not the pnpm and tsx wrappers that started it.
      if (!/node$/.test(argv[0] ?? "") || argv.some((a) => a.endsWith("/tsx/dist/cli.mjs"))) continue;
      const role = argv.some((a) => a.includes("gateway/src/main.ts"))
        ? "gateway"
        : argv.some((a) => a.includes("runner/src/main.ts"))
          ? `runner ${argv[argv.indexOf("--shard") + 1] ?? "?"}`
          : undefined;
      if (role === undefined) continue;
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name: state is 3rd, utime 14th, stime 15th of the whole line.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticks;
      found.push({ role, pid, rssMiB: Math.round(rssKiB / 102.4) / 10, cpuSeconds });
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a.role.localeCompare(b.role) || a.pid - b.pid);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
