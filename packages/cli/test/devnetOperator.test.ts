import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseEnv } from "dotenv";
import { privateKeyToAccount } from "viem/accounts";
import { teetee } from "./helpers.js";
import { repoRoot, StartRun } from "./processTree.js";

type Summary = {
  rpcUrl: string;
  gatewayUrl: string;
  webUrl: string;
  runners: { name: string; url: string }[];
};
type Status = {
  folder: string;
  running: boolean;
  pid: number;
  services: { name: string; url: string; answers: boolean; logFile: string }[];
  gatewayUrl: string;
  apiKey: string;
  envFile: string;
};

const out = mkdtempSync(join(tmpdir(), "teetee-operator-"));
let run: StartRun;
let summary: Summary;

/** SHA-256 of every file under `dir` (devnet.env, vouchers.sqlite, sealed keys ...), by path. */
function fingerprint(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.parentPath.includes("/logs")) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.endsWith(".sqlite-wal") || path.endsWith(".sqlite-shm")) continue;
    files[path] =
      `${statSync(path).mtimeMs} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
  }
  return files;
}

beforeAll(async () => {
  run = new StartRun(["--json", "--out", out]);
  await run.waitFor(/Running\. Press Ctrl-C to stop every process\./);
  summary = run.summary<Summary>();
}, 240_000);

afterAll(async () => {
  run.signalGroup("SIGINT");
  await run.exited;
  run.kill();
}, 60_000);

test("a second pnpm start on the folder of a running network is refused and changes nothing in it", async () => {
  const before = fingerprint(out);
  expect(Object.keys(before).some((p) => p.endsWith("vouchers.sqlite"))).toBe(true);
  const second = spawn("pnpm", ["start", "--once", "--out", out], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  second.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => second.once("exit", resolve));
  expect(stderr).toContain(
    `The output folder ${out} is in use by a running local network (pid ${run.pidOf("devnet up")}, started`,
  );
  expect(stderr).toMatch(/another folder with --out DIR/);
  expect(code).not.toBe(0);
  expect(fingerprint(out)).toEqual(before);
}, 240_000);

test("each service's output goes to a log file under the output folder, and the console says where", () => {
  const logs = join(out, "logs");
  expect(run.stderr).toContain(`Logs: ${logs}`);
  for (const name of ["chain", "runner-0", "runner-1", "runner-2", "replica-0", "gateway"]) {
    expect(existsSync(join(logs, `${name}.log`))).toBe(true);
  }
  expect(readFileSync(join(logs, "chain.log"), "utf8")).toMatch(/eth_/);
});

test("devnet.env holds the curator's and contributors' keys beside the buyer's", () => {
  const env = parseEnv(readFileSync(join(out, "devnet.env")));
  const address = (name: string) => privateKeyToAccount(env[name] as `0x${string}`).address;
  expect(address("TEETEE_CURATOR_KEY")).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  expect(address("TEETEE_CONTRIBUTOR_1_KEY")).toBe("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  expect(address("TEETEE_CONTRIBUTOR_3_KEY")).toBe("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
  expect(env["TEETEE_BUYER_KEY"]).toBe(env["TEETEE_PRIVATE_KEY"]);
});

test("a runner that dies is reported on the console at once: which, how, its last lines and its log", async () => {
  const runner1 = summary.runners.find((r) => r.name === "runner-1")!;
  for (const p of run.serviceOn(Number(new URL(runner1.url).port))) process.kill(p.pid, "SIGKILL");
  const notice = new RegExp(`runner-1 \\(${runner1.url}\\) died: signal SIGKILL`);
  await run.waitFor(notice, 3_000);
  expect(run.stderr).toContain(`Full log: ${join(out, "logs", "runner-1.log")}`);
});

test("teetee devnet status prints the network again and says which services still answer", async () => {
  const result = await teetee(["--json", "devnet", "status", "--out", out], {}, repoRoot);
  expect(result).toMatchObject({ code: 0 });
  const status = JSON.parse(result.stdout) as Status;
  expect(status).toMatchObject({ folder: out, running: true, gatewayUrl: summary.gatewayUrl });
  const answers = Object.fromEntries(status.services.map((s) => [s.name, s.answers]));
  expect(answers).toEqual({
    chain: true,
    "runner-0": true,
    "runner-1": false,
    "runner-2": true,
    "replica-0": true,
    gateway: true,
    "web app": true,
  });
  const text = await teetee(["devnet", "status", "--out", out], {}, repoRoot);
  expect(text.stdout).toMatch(/runner-1 +http:\S+ +not answering/);
  expect(text.stdout).toMatch(/gateway +http:\S+ +answers/);
});

test("teetee devnet status on a folder with no network says so and exits non-zero", async () => {
  const empty = mkdtempSync(join(tmpdir(), "teetee-operator-empty-"));
  const result = await teetee(["devnet", "status", "--out", empty], {}, repoRoot);
  expect(result.code).toBe(3);
  expect(result.stderr).toContain(`No local network has run in ${empty}`);
});
