import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { median } from "./median.js";

export type CoreContention = {
  /** Median time of one step run back to back, nothing else busy. */
  aloneMs: number;
  /** The same while 1, 2, … (up to the CPU count) other processes spin, as polling or relaying runners would. */
  besideBusyProcessesMs: number[];
  /** The same right after this process slept `sleepMs`, as a runner sleeps while the others compute. */
  afterSleepMs: number;
  sleepMs: number;
};

async function startSpinner(): Promise<ChildProcess> {
  const spinner = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  await new Promise<void>((resolve, reject) => {
    spinner.once("spawn", resolve);
    spinner.once("error", reject);
  });
  spinner.kill("SIGSTOP");
  return spinner;
}

/**
 * What a runner's compute costs on this machine when it is not alone, before any TeeTee code runs: one `step`
 * (a shard's decode) timed back to back, beside 1 to N other busy processes (N = CPUs), and after an idle
 * spell. With a core per process the figures agree; once more processes are awake than there are cores, the
 * one computing shares its core, and a CPU that idled computes slower for a while. The pipeline benchmark prints
 * this beside its throughput. Busy processes are paused between their samples, and the conditions take turns,
 * so drift during the measurement touches all of them alike.
 */
export async function measureCoreContention(
  step: () => Promise<void>,
  { blocks = 4, perBlock = 15, sleepMs = 12 } = {},
): Promise<CoreContention> {
  const spinners: ChildProcess[] = [];
  const timed = async () => {
    const started = performance.now();
    await step();
    return performance.now() - started;
  };
  const alone: number[] = [];
  const afterSleep: number[] = [];
  try {
    for (let i = 0; i < availableParallelism(); i++) spinners.push(await startSpinner());
    const beside: number[][] = spinners.map(() => []);
    for (let i = 0; i < perBlock; i++) await step();
    for (let block = 0; block < blocks; block++) {
      for (let i = 0; i < perBlock; i++) alone.push(await timed());
      for (const [k, samples] of beside.entries()) {
        for (const spinner of spinners.slice(0, k + 1)) spinner.kill("SIGCONT");
        await new Promise((resolve) => setTimeout(resolve, 50));
        for (let i = 0; i < perBlock; i++) samples.push(await timed());
        for (const spinner of spinners) spinner.kill("SIGSTOP");
      }
      for (let i = 0; i < perBlock; i++) {
        await new Promise((resolve) => setTimeout(resolve, sleepMs));
        afterSleep.push(await timed());
      }
    }
    return {
      aloneMs: median(alone),
      besideBusyProcessesMs: beside.map(median),
      afterSleepMs: median(afterSleep),
      sleepMs,
    };
  } finally {
    for (const spinner of spinners) spinner.kill("SIGKILL");
  }
}
