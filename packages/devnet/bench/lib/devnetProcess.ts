/**
 * `pnpm start`'s network as a child of a benchmark: started in its own output folder and process group, waited
 * for, its services' processes found under /proc, and streaming chat completions through its gateway, timed per
 * token. Shared by the soak and the concurrency benchmark.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { type SoakRequest, SseDataReader } from "./soakStats.js";

export type DevnetEnv = {
  TEETEE_GATEWAY_URL: string;
  TEETEE_API_KEY: string;
  TEETEE_RPC_URL: string;
  TEETEE_DEPLOYMENT: string;
};

export type Devnet = { child: ChildProcess; env: DevnetEnv; model: string; stop: () => Promise<void> };

/**
 * Starts `pnpm start --out <out> ...args` (with `env` added to its environment, which its services inherit) and
 * resolves once its gateway is ready (up to 10 minutes).
 */
export async function startDevnet(
  repoRoot: string,
  out: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Devnet> {
  const child = spawn("pnpm", ["start", "--out", out, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const exited = new Promise((done) => child.once("exit", done));
      if (child.exitCode === null) process.kill(-child.pid!, "SIGINT");
      // Bounded: a network that does not stop within a minute is left to the caller, and the timer must not hold us.
      await Promise.race([exited, new Promise((done) => setTimeout(done, 60_000).unref())]);
    })();
    return stopping;
  };
  try {
    const env = await waitForNetwork(child, out);
    return { child, env, model: await firstModel(env), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForNetwork(child: ChildProcess, out: string): Promise<DevnetEnv> {
  const file = join(out, "devnet.env");
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pnpm start exited with ${child.exitCode}`);
    if (existsSync(file)) {
      const env = Object.fromEntries(
        readFileSync(file, "utf8")
          .split("\n")
          .filter((line) => /^[A-Z_0-9]+=/.test(line))
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      ) as DevnetEnv;
      const ready = await fetch(`${env.TEETEE_GATEWAY_URL}/readyz`).catch(() => undefined);
      if (ready?.ok) return env;
    }
    await sleep(1000);
  }
  throw new Error("the local network was not ready within 10 minutes");
}

async function firstModel(env: DevnetEnv): Promise<string> {
  const list = (await (await fetch(`${env.TEETEE_GATEWAY_URL}/v1/models`)).json()) as {
    data: { id: string }[];
  };
  const id = list.data[0]?.id;
  if (id === undefined) throw new Error("the gateway serves no model");
  return id;
}

/** The `teetee` field of the gateway's last stream event: usage, cost and the voucher it signed. */
type TeeTeeField = {
  usage: { input_tokens: number; output_tokens: number };
  cost: string;
  payment: { free: boolean; channel_id: Hex; voucher_amount: string };
};

/** One streamed request: how it ended, when each content chunk came, and what the gateway charged. */
export type StreamedRequest = SoakRequest & {
  /** performance.now() of each content chunk (one per generated token as the gateway streams). */
  tokenTimesMs: number[];
  usage?: { inputTokens: number; outputTokens: number; cost: bigint; channelId: Hex; voucherAmount: bigint };
};

/** One streaming chat completion through the gateway, timed per content chunk. */
export async function streamOnce(
  env: DevnetEnv,
  model: string,
  content: string,
  maxTokens: number,
): Promise<StreamedRequest> {
  const sent = performance.now();
  const tokenTimesMs: number[] = [];
  let completionTokens = 0;
  try {
    const response = await fetch(`${env.TEETEE_GATEWAY_URL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.TEETEE_API_KEY}` },
      body: JSON.stringify({
        model,
        messages: [{ role: "user", content }],
        max_tokens: maxTokens,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    if (response.status !== 200 || response.body === null) {
      const text = await response.text();
      let message = text;
      try {
        message = (JSON.parse(text || "{}") as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        // not JSON: keep the text
      }
      return {
        status: response.status,
        totalMs: performance.now() - sent,
        completionTokens: 0,
        message,
        tokenTimesMs,
      };
    }
    const reader = new SseDataReader();
    const decoder = new TextDecoder();
    let done = false;
    let failed = false;
    let message: string | undefined;
    let field: TeeTeeField | undefined;
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
          teetee?: TeeTeeField;
        };
        if (event.error !== undefined) {
          failed = true;
          message = JSON.stringify(event.error);
        }
        if ((event.choices?.[0]?.delta?.content ?? "") !== "") tokenTimesMs.push(performance.now());
        if (event.usage != null) completionTokens = event.usage.completion_tokens;
        if (event.teetee !== undefined) field = event.teetee;
      }
    }
    return {
      status: 200,
      ...(tokenTimesMs.length === 0 ? {} : { ttftMs: tokenTimesMs[0]! - sent }),
      totalMs: performance.now() - sent,
      completionTokens,
      tokenTimesMs,
      ...(field === undefined || field.payment.free
        ? {}
        : {
            usage: {
              inputTokens: field.usage.input_tokens,
              outputTokens: field.usage.output_tokens,
              cost: BigInt(field.cost),
              channelId: field.payment.channel_id,
              voucherAmount: BigInt(field.payment.voucher_amount),
            },
          }),
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
      tokenTimesMs,
    };
  }
}

export type ServiceProcess = { role: string; pid: number; rssMiB: number; cpuSeconds: number };

/** The gateway and runner processes under `root` (Linux /proc): the node process running each entry point. */
export function serviceProcesses(root: number): ServiceProcess[] {
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
  const found: ServiceProcess[] = [];
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
      found.push({ role, pid, rssMiB: Math.round(rssKiB / 102.4) / 10, cpuSeconds: cpuSecondsOf(pid) });
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a.role.localeCompare(b.role) || a.pid - b.pid);
}

/** User + system CPU seconds of one process so far (Linux /proc/<pid>/stat, USER_HZ 100). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name: state is 3rd, utime 14th, stime 15th of the whole line.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
