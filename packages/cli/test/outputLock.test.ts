import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCK_FILE, lockOutputFolder, OutputFolderInUseError, processStartOf } from "@teetee/devnet";
import fc from "fast-check";

const folder = () => mkdtempSync(join(tmpdir(), "teetee-lock-"));

/** A pid that no process has now: one that just exited. */
function deadPid(): number {
  return Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
}

function noStale(message: string): void {
  throw new Error(`unexpected takeover: ${message}`);
}

test("a folder locked by a live process is refused, naming the folder, its pid and --out", () => {
  const dir = folder();
  const parent = { pid: process.ppid, startedAt: "2026-12-02T10:00:00.000Z" };
  lockOutputFolder(dir, noStale, parent);
  const refused = () => lockOutputFolder(dir, noStale);
  expect(refused).toThrow(OutputFolderInUseError);
  expect(refused).toThrow(
    `The output folder ${dir} is in use by a running local network (pid ${process.ppid}, started 2026-12-02T10:00:00.000Z)`,
  );
  expect(refused).toThrow(/another folder with --out DIR/);
  expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toEqual(parent);
});

test("a lock left by a process that is gone is taken over, and the takeover is said", () => {
  const dir = folder();
  const pid = deadPid();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, startedAt: "yesterday" }));
  const messages: string[] = [];
  const lock = lockOutputFolder(dir, (m) => messages.push(m));
  expect(messages).toEqual([
    `Taking over ${join(dir, LOCK_FILE)}: pid ${pid} (started yesterday) is no longer running.`,
  ]);
  expect(JSON.parse(readFileSync(lock.file, "utf8")).pid).toBe(process.pid);
});

test("a lock whose pid now belongs to another process (a different start time) is stale", () => {
  const dir = folder();
  const holder = { pid: process.ppid, startedAt: "long ago", processStart: "1" };
  expect(processStartOf(process.ppid)).not.toBe("1");
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
  const messages: string[] = [];
  lockOutputFolder(dir, (m) => messages.push(m));
  expect(messages).toHaveLength(1);
});

test("release removes only this process's own lock", async () => {
  const dir = folder();
  const lock = lockOutputFolder(dir, noStale);
  await lock.release();
  expect(existsSync(lock.file)).toBe(false);
  const mine = lockOutputFolder(dir, noStale);
  writeFileSync(mine.file, JSON.stringify({ pid: process.ppid, startedAt: "later" }));
  await mine.release();
  expect(existsSync(mine.file)).toBe(true);
});

test("whatever the lock file holds, a lock is either refused or taken, never both nor neither", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (content) => {
      const dir = folder();
      writeFileSync(join(dir, LOCK_FILE), content);
      try {
        const lock = lockOutputFolder(dir, () => {});
        return JSON.parse(readFileSync(lock.file, "utf8")).pid === process.pid;
      } catch (error) {
        return error instanceof OutputFolderInUseError;
      }
    }),
    { numRuns: 200 },
  );
});
