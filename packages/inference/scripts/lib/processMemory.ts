import { readFileSync } from "node:fs";
import { round } from "./stats.js";

const MiB = 2 ** 20;

/**
 * This process's memory as Linux counts it (MiB): resident now and at its peak (`VmHWM`), resident split into
 * anonymous pages (heaps, arenas, copies) and file-backed ones (the binaries, memory-mapped weights), and what V8
 * holds (its heap and the `ArrayBuffer`s outside it, typed arrays included).
 */
export function memorySnapshot() {
  const status = procFields("/proc/self/status");
  const v8 = process.memoryUsage();
  return {
    rssMiB: round(status.VmRSS! / 1024, 1),
    peakRssMiB: round(status.VmHWM! / 1024, 1),
    anonMiB: round(status.RssAnon! / 1024, 1),
    fileMiB: round(status.RssFile! / 1024, 1),
    v8HeapMiB: round(v8.heapTotal / MiB, 1),
    arrayBuffersMiB: round(v8.arrayBuffers / MiB, 1),
  };
}

export type MemorySnapshot = ReturnType<typeof memorySnapshot>;

/** The `kB` fields of a /proc status file, e.g. `VmHWM`. */
function procFields(path: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (match) fields[match[1]!] = Number(match[2]);
  }
  return fields;
}

/**
 * Resident MiB per mapped file (by base name) and for anonymous memory, from /proc/self/smaps, largest first:
 * which of a shard's weights are memory-mapped and still resident, which copied into the heap.
 */
export function residentByMapping(): Record<string, number> {
  const kib = new Map<string, number>();
  let name = "";
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (mapping) {
      const path = mapping[1]!.trim();
      name = path === "" || path.startsWith("[") ? `anonymous ${path}`.trim() : path.split("/").at(-1)!;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss) kib.set(name, (kib.get(name) ?? 0) + Number(rss[1]));
  }
  return Object.fromEntries(
    [...kib]
      .filter(([, k]) => k >= 1024)
      .sort((a, b) => b[1] - a[1])
      .map(([n, k]) => [n, round(k / 1024, 1)]),
  );
}

/** The line of /proc/loadavg: 1, 5 and 15-minute load averages, runnable / all tasks, the last pid. */
export function loadAverageLine(): string {
  return readFileSync("/proc/loadavg", "utf8").trim();
}

/** Wall and CPU time (user + system, all threads) and peak RSS of what `work` does in this process. */
export async function measured<T>(work: () => Promise<T>) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return {
    value,
    wallS: round((performance.now() - start) / 1000, 1),
    cpuS: round((used.user + used.system) / 1e6, 1),
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
  };
}
