import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** One process as /proc shows it; `started` (clock ticks since boot) tells a reused pid from the original. */
export type ProcessInfo = { pid: number; ppid: number; pgid: number; started: string; cmdline: string };

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself hold spaces: the fields start after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return undefined;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), started: fields[19]!, cmdline };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessInfo[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined);
}

/** `root` and every process below it. */
export function descendants(root: number): ProcessInfo[] {
  const processes = allProcesses();
  const found = processes.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) {
    found.push(...processes.filter((p) => p.ppid === found[i]!.pid));
  }
  return found;
}

/** Whether this very process (not a later one given the same pid) still runs. */
export function stillRuns(info: ProcessInfo): boolean {
  return readProcess(info.pid)?.started === info.started;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Every port a process was told to listen on (`--port N`), or a URL printed for it. */
export function portsOf(seen: Iterable<ProcessInfo>, urls: readonly string[] = []): number[] {
  const ports = new Set<number>();
  for (const p of seen) for (const match of p.cmdline.matchAll(/--port (\d+)/g)) ports.add(Number(match[1]));
  for (const url of urls) ports.add(Number(new URL(url).port));
  return [...ports];
}

/**
 * `pnpm start` in its own process group, as a terminal runs a foreground job, with every process it ever had
 * recorded by sampling /proc (so a child that exits before the stop is still checked).
 */
export class StartRun {
  readonly child: ChildProcess;
  readonly seen = new Map<string, ProcessInfo>();
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly sampler: NodeJS.Timeout;

  constructor(args: readonly string[]) {
    this.child = spawn("pnpm", ["start", ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.child.stdout!.on("data", (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.sampler = setInterval(() => this.sample(), 100);
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        clearInterval(this.sampler);
        resolve({ code, signal });
      }),
    );
  }

  sample(): void {
    for (const p of descendants(this.child.pid!)) this.seen.set(`${p.pid}:${p.started}`, p);
  }

  /** Resolves once stderr matches `pattern`; rejects if `pnpm start` exits first. */
  async waitFor(pattern: RegExp, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let gone = false;
    void this.exited.then(() => {
      gone = true;
    });
    while (!pattern.test(this.stderr)) {
      if (gone) throw new Error(`pnpm start exited before printing ${pattern}:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`pnpm start did not print ${pattern}:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.sample();
  }

  /** The `--json` summary printed once the network is up. */
  summary<T>(): T {
    return JSON.parse(this.stdout.slice(this.stdout.indexOf("{"))) as T;
  }

  /**
   * Signals `pnpm start`'s process group, as a terminal's Ctrl-C does; false when the group is already gone (a second
   * Ctrl-C after the network stopped within the interval reaches nothing, which is not an error).
   */
  signalGroup(signal: NodeJS.Signals): boolean {
    try {
      process.kill(-this.child.pid!, signal);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
      throw error;
    }
  }

  /** What is still running, and which ports still accept connections, once `pnpm start` has exited. */
  async leftovers(urls: readonly string[] = []): Promise<{ processes: string[]; ports: number[] }> {
    const processes = [...this.seen.values()].filter(stillRuns).map((p) => `${p.pid} ${p.cmdline}`);
    const ports: number[] = [];
    for (const port of portsOf(this.seen.values(), urls)) if (await accepts(port)) ports.push(port);
    return { processes, ports };
  }

  /** `leftovers()`, polled until nothing is left or `ms` have passed. */
  async leftoversWithin(
    ms: number,
    urls: readonly string[] = [],
  ): Promise<{ processes: string[]; ports: number[] }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = await this.leftovers(urls);
      if ((left.processes.length === 0 && left.ports.length === 0) || Date.now() > deadline) return left;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The pid of the running process whose command line contains `text` (the last started, if several). */
  pidOf(text: string): number {
    this.sample();
    const found = [...this.seen.values()].filter((p) => stillRuns(p) && p.cmdline.includes(text));
    if (found.length === 0) throw new Error(`no running process has "${text}" in its command line`);
    return found.at(-1)!.pid;
  }

  /** The processes of the service told to listen on `port`. */
  serviceOn(port: number): ProcessInfo[] {
    this.sample();
    const member = [...this.seen.values()].find((p) => stillRuns(p) && p.cmdline.includes(`--port ${port}`));
    if (member === undefined) throw new Error(`no process listens on port ${port}`);
    return [...this.seen.values()].filter((p) => p.pgid === member.pgid && stillRuns(p));
  }

  /** Ends the run for good (a test that failed half-way must not leave its network behind either). */
  kill(): void {
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    for (const p of this.seen.values()) {
      try {
        if (stillRuns(p)) process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}
