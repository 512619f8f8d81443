import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StartRun } from "./processTree.js";

type Summary = {
  rpcUrl: string;
  gatewayUrl: string;
  webUrl: string;
  runners: { name: string; url: string }[];
};

const RUNNING = /Running\. Press Ctrl-C to stop every process\./;
/**
 * pnpm waits for its script after one SIGINT, but exits at once on a second SIGINT or on SIGTERM (measured with
 * pnpm 12.4): then the network's own stop must still finish, within a runner's shutdown grace and a little more.
 */
const AFTER_PNPM_EXITS_MS = 15_000;
const runs: StartRun[] = [];

function start(args: readonly string[] = []): StartRun {
  const run = new StartRun(["--json", "--out", mkdtempSync(join(tmpdir(), "teetee-stop-")), ...args]);
  runs.push(run);
  return run;
}

function urlsOf(summary: Summary): string[] {
  return [summary.rpcUrl, summary.gatewayUrl, summary.webUrl, ...summary.runners.map((r) => r.url)];
}

afterAll(() => {
  for (const run of runs) run.kill();
});

test("Ctrl-C pressed twice (SIGINT to the process group, again 100 ms later) stops and reaps every process", async () => {
  const run = start();
  await run.waitFor(RUNNING);
  const summary = run.summary<Summary>();
  expect(run.signalGroup("SIGINT")).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  // The network may already be gone 100 ms after the first Ctrl-C (seen in a fresh-clone CI run: kill ESRCH).
  run.signalGroup("SIGINT");
  await run.exited;
  expect(await run.leftoversWithin(AFTER_PNPM_EXITS_MS, urlsOf(summary))).toEqual({
    processes: [],
    ports: [],
  });
}, 240_000);

test("Ctrl-C (SIGINT to the process group) after runners were killed by hand: nothing is left once pnpm exits", async () => {
  const run = start();
  await run.waitFor(RUNNING);
  const summary = run.summary<Summary>();
  const [runner1, replica] = [summary.runners[1]!, summary.runners[3]!];
  // One runner killed outright (its whole group), one by the pid that `pnpm start` spawned for it.
  for (const p of run.serviceOn(Number(new URL(runner1.url).port))) process.kill(p.pid, "SIGKILL");
  const replicaGroup = run.serviceOn(Number(new URL(replica.url).port));
  process.kill(replicaGroup.find((p) => p.pid === p.pgid)!.pid, "SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 500));
  run.signalGroup("SIGINT");
  const exit = await run.exited;
  expect(await run.leftovers(urlsOf(summary))).toEqual({ processes: [], ports: [] });
  expect(run.stderr).toMatch(/Stopping every process \.\.\. stopped/);
  expect(run.stderr).toMatch(/runner-1 \(\S+\) died: signal SIGKILL/);
  // pnpm, as shells expect of an interrupted job, ends itself by the same SIGINT once the script has exited.
  expect(exit.signal).toBe("SIGINT");
}, 240_000);

test("SIGTERM to the process group while the runners start stops every process started so far and any it was about to start", async () => {
  const run = start();
  await run.waitFor(/Start 4 runners/);
  run.signalGroup("SIGTERM");
  await run.exited;
  expect(await run.leftoversWithin(AFTER_PNPM_EXITS_MS)).toEqual({ processes: [], ports: [] });
}, 240_000);

test("a failed step (the gateway's port is taken) stops every process and exits non-zero", async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const run = start(["--gateway-port", String(port)]);
    const { code } = await run.exited;
    expect(run.stderr).toMatch(/Start the gateway .* failed/);
    expect(code).not.toBe(0);
    const left = await run.leftovers();
    expect({ processes: left.processes, ports: left.ports.filter((p) => p !== port) }).toEqual({
      processes: [],
      ports: [],
    });
  } finally {
    taken.close();
  }
}, 240_000);
