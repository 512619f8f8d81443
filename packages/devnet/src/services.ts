import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  describeExit,
  type Exit,
  type Supervised,
  spawnSupervised,
  stopAllSupervised,
  typescriptCommand,
} from "./processes.js";
import { repoRoot } from "./repoRoot.js";

/** The runner process the local network starts: it checks every frame's voucher and settles with its contributor key. */
export const RUNNER_ENTRY = join(repoRoot, "packages/runner/src/main.ts");
export const GATEWAY_ENTRY = join(repoRoot, "packages/gateway/src/main.ts");

/** A child process of the local network, in its own process group so stopping it stops its children too. */
export type Service = {
  name: string;
  url: string;
  process: Supervised["process"];
  /** Resolves once the process has exited and been reaped. */
  exited: Promise<Exit>;
  /** The file its output goes to, when it has one. */
  logFile?: string;
  /** The last 20 kB the process printed, for failure reports. */
  output: () => string;
  stop: () => Promise<void>;
};

/** Stops every service still running (those whose start-up was interrupted included), and starts no more. */
export async function stopAllServices(): Promise<void> {
  await stopAllSupervised();
}

/** The last `count` non-empty lines of `text`. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-count);
}

/** What the console says when a service dies on its own: which, how, its last words and where its log is. */
export function deathNotice(
  service: Pick<Service, "name" | "url" | "logFile" | "output">,
  exit: Exit,
): string {
  const tail = lastLines(service.output(), 10).map((line) => `    ${line}`);
  return [
    `\n${service.name} (${service.url}) died: ${describeExit(exit)}.`,
    ...(tail.length > 0 ? ["  Its last log lines:", ...tail] : ["  It printed nothing."]),
    ...(service.logFile === undefined ? [] : [`  Full log: ${service.logFile}`]),
    "",
  ].join("\n");
}

const READY_CHECK_MS = 5_000;

/** One readiness probe, given up after a while: a port that accepts but never answers must not hang start-up. */
async function probe(ready: () => Promise<boolean>): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), READY_CHECK_MS).unref());
  return Promise.race([ready().catch(() => false), timeout]);
}

/**
 * Spawns `node --import tsx <entry> <args>` and resolves once `ready()` answers, or rejects with the process's
 * output. `TEETEE_DEVNET_NODE_OPTIONS`, when set, is the service's `NODE_OPTIONS`. Its output also goes to `logFile`; if it dies later without being stopped, `onDeath` hears of it.
 */
export async function spawnService(params: {
  name: string;
  entry: string;
  args: readonly string[];
  env: Record<string, string>;
  url: string;
  ready: () => Promise<boolean>;
  timeoutMs?: number;
  logFile?: string;
  onDeath?: (notice: string) => void;
}): Promise<Service> {
  const [command, args] = typescriptCommand(params.entry, params.args);
  // Node options for the services alone (the soak's `--inspect=127.0.0.1:0`), not for pnpm, the CLI or the chain.
  const nodeOptions = process.env.TEETEE_DEVNET_NODE_OPTIONS;
  const supervised = spawnSupervised(params.name, command, args, {
    ...process.env,
    ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
    ...params.env,
  });
  const child = supervised.process;
  let log: ReturnType<typeof createWriteStream> | undefined;
  if (params.logFile !== undefined) {
    mkdirSync(dirname(params.logFile), { recursive: true });
    log = createWriteStream(params.logFile, { flags: "a" });
  }
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    log?.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const service: Service = {
    name: params.name,
    url: params.url,
    process: child,
    exited: supervised.exited,
    ...(params.logFile === undefined ? {} : { logFile: params.logFile }),
    output: () => output,
    stop: supervised.stop,
  };
  let up = false;
  void supervised.exited.then((exit) => {
    log?.end();
    if (up && !supervised.stopping()) params.onDeath?.(deathNotice(service, exit));
  });
  const timeoutMs = params.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await supervised.stop();
      throw new Error(
        `${params.name} exited (${describeExit(await supervised.exited)})\n${output.slice(-3000)}`,
      );
    }
    if (await probe(params.ready)) {
      up = true;
      return service;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await supervised.stop();
  throw new Error(`${params.name} did not come up within ${timeoutMs / 1000} s\n${output.slice(-3000)}`);
}
