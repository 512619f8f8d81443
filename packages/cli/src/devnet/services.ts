import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../lib/spawnPackage.js";

/** The runner process the local network starts: it checks every frame's voucher and settles with its contributor key. */
export const RUNNER_ENTRY = join(repoRoot, "packages/runner/src/main.ts");
export const GATEWAY_ENTRY = join(repoRoot, "packages/gateway/src/main.ts");

/** A child process of the local network, in its own process group so stopping it stops its children too. */
export type Service = {
  name: string;
  url: string;
  process: ChildProcess;
  /** The last 20 kB the process printed, for failure reports. */
  output: () => string;
  stop: () => Promise<void>;
};

/** Every child spawned and not yet stopped, so an interrupted start-up leaves no orphan behind. */
const live = new Set<Service>();

/** Stops every service still running (those whose start-up was interrupted included). */
export async function stopAllServices(): Promise<void> {
  await Promise.all([...live].map((service) => service.stop()));
}

/** Spawns `tsx <entry> <args>` and resolves once `ready()` answers, or rejects with the process's output. */
export async function spawnService(params: {
  name: string;
  entry: string;
  args: readonly string[];
  env: Record<string, string>;
  url: string;
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}): Promise<Service> {
  const child = spawn("pnpm", ["exec", "tsx", params.entry, ...params.args], {
    cwd: repoRoot,
    env: { ...process.env, ...params.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const service: Service = {
    name: params.name,
    url: params.url,
    process: child,
    output: () => output,
    stop: async () => {
      live.delete(service);
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
      const forced = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(forced);
    },
  };
  live.add(service);
  const deadline = Date.now() + (params.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      live.delete(service);
      throw new Error(`${params.name} exited with code ${child.exitCode}\n${output.slice(-3000)}`);
    }
    if (await params.ready().catch(() => false)) return service;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await service.stop();
  throw new Error(
    `${params.name} did not come up within ${(params.timeoutMs ?? 120_000) / 1000} s\n${output.slice(-3000)}`,
  );
}
