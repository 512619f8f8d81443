import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repoRoot.js";

/** How a child process ended. */
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * A child process of the local network, in its own process group, so that stopping it reaches every process it
 * started, and so that Ctrl-C in the terminal reaches only `pnpm start`, which then stops its children in order.
 */
export type Supervised = {
  name: string;
  process: ChildProcess;
  /** Resolves once the process has exited and been reaped. */
  exited: Promise<Exit>;
  /** Whether `stop()` was called, so an exit is expected rather than a death worth reporting. */
  stopping: () => boolean;
  stop: () => Promise<void>;
};

/** How long a process may take to shut down cleanly after SIGTERM before its whole group gets SIGKILL. */
export const STOP_GRACE_MS = 5_000;

/** The project's Node (24, from the `node` devDependency); the machine's own may be older. */
export const projectNode = existsSync(join(repoRoot, "node_modules/.bin/node"))
  ? join(repoRoot, "node_modules/.bin/node")
  : process.execPath;

/**
 * `node --import tsx <entry>`: one process, with no pnpm or tsx wrapper in between, so the pid held is the
 * service's own, its exit is the service's exit, and no wrapper relays (or doubles) signals.
 */
export function typescriptCommand(entry: string, args: readonly string[]): [string, string[]] {
  return [projectNode, ["--import", "tsx", entry, ...args]];
}

const live = new Set<Supervised>();
let closing = false;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is empty: every process of it has exited.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Stops a process group: SIGTERM to every member, SIGKILL to the group if its leader has not exited within
 * `graceMs`, then SIGKILL to whatever the leader left behind in its group. Resolves once the leader is reaped.
 */
export async function stopGroup(child: ChildProcess, exited: Promise<Exit>, graceMs = STOP_GRACE_MS) {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    signalGroup(pid, "SIGTERM");
    const inTime = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!inTime) signalGroup(pid, "SIGKILL");
  }
  await exited;
  signalGroup(pid, "SIGKILL");
}

/** Spawns `command` in its own process group; refused once the network has begun to stop. */
export function spawnSupervised(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Supervised {
  if (closing) throw new Error(`Not starting ${name}: the local network is stopping`);
  const child = spawn(command, args, {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  let stopping = false;
  const supervised: Supervised = {
    name,
    process: child,
    exited,
    stopping: () => stopping,
    stop: async () => {
      stopping = true;
      await stopGroup(child, exited);
      live.delete(supervised);
    },
  };
  live.add(supervised);
  return supervised;
}

/**
 * Stops every supervised process still running, and refuses to start any more: a start-up step still under way
 * when Ctrl-C comes cannot leave a process behind.
 */
export async function stopAllSupervised(): Promise<void> {
  closing = true;
  await Promise.all([...live].map((p) => p.stop()));
}

/** Describes an exit for people: `exit code 1` or `signal SIGKILL`. */
export function describeExit(exit: Exit): string {
  return exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
}
