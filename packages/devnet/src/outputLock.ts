import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { TeeTeeError } from "@teetee/errors";

/** Who holds an output folder: the `pnpm start` process and when it started. */
export type LockHolder = { pid: number; startedAt: string; processStart?: string };

export const LOCK_FILE = "devnet.lock";

/** The folder is in use by a live `pnpm start`: nothing in it may be touched. */
export class OutputFolderInUseError extends TeeTeeError {
  override readonly name = "OutputFolderInUseError";
  constructor(
    readonly folder: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The output folder ${folder} is in use by a running local network (pid ${holder.pid}, started ` +
        `${holder.startedAt}). Stop that one first (Ctrl-C in its terminal, or kill ${holder.pid}), ` +
        "or give this one another folder with --out DIR.",
    );
  }
}

/** The kernel's start time of a process (clock ticks since boot), which tells a reused pid from the original. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else, so it is alive.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = processStartOf(holder.pid);
  return holder.processStart === undefined || start === undefined || start === holder.processStart;
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function readHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isInteger(holder.pid) || typeof holder.startedAt !== "string") return undefined;
    return holder as LockHolder;
  } catch {
    return undefined;
  }
}

/** The lock's holder in `folder`, if a live process holds it. */
export function liveHolder(folder: string): LockHolder | undefined {
  const holder = readHolder(readText(join(folder, LOCK_FILE)));
  return holder !== undefined && isAlive(holder) ? holder : undefined;
}

/** A held lock on an output folder; `release()` removes it. */
export type OutputLock = { file: string; holder: LockHolder; release: () => Promise<void> };

/**
 * Takes the output folder for this process, so a second `pnpm start` cannot overwrite a running network's
 * devnet.env, vouchers and sealed keys. A lock left by a process that is no longer running is taken over, and
 * `onStale` says so; a live holder's lock is refused with `OutputFolderInUseError`.
 */
export function lockOutputFolder(
  folder: string,
  onStale: (message: string) => void,
  self: LockHolder = currentHolder(),
): OutputLock {
  const file = join(folder, LOCK_FILE);
  for (;;) {
    if (linkComplete(file, `${JSON.stringify(self)}\n`))
      return { file, holder: self, release: () => releaseIfOurs(file, self) };
    const seen = readText(file);
    const holder = readHolder(seen);
    if (holder !== undefined && isAlive(holder)) throw new OutputFolderInUseError(folder, holder);
    // Only the stale lock just read is removed: a start that took it over meanwhile keeps its own.
    if (readText(file) !== seen) continue;
    onStale(
      holder === undefined
        ? `Taking over ${file}: it was unreadable.`
        : `Taking over ${file}: pid ${holder.pid} (started ${holder.startedAt}) is no longer running.`,
    );
    rmSync(file, { force: true });
  }
}

/** Creates `file` with `text` only if it does not exist; a reader never sees it half-written. */
function linkComplete(file: string, text: string): boolean {
  const draft = `${file}.${process.pid}.${Date.now()}`;
  writeFileSync(draft, text);
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    rmSync(draft, { force: true });
  }
}

function currentHolder(): LockHolder {
  const processStart = processStartOf(process.pid);
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...(processStart === undefined ? {} : { processStart }),
  };
}

async function releaseIfOurs(file: string, self: LockHolder): Promise<void> {
  if (readHolder(readText(file))?.pid === self.pid) await unlink(file).catch(() => {});
}
