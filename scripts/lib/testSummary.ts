/** Reading test runners' closing counts and writing `pnpm test`'s summary (`scripts/runTests.ts`). */
import { stripVTControlCharacters } from "node:util";

export type Step = { name: string; script: string; stopsRunOnFailure?: boolean };
export type Counts = { passed: number; failed: number; skipped: number };
export type StepResult = { step: Step; exitCode: number; seconds: number; counts?: Counts };

const count = (text: string, pattern: RegExp) => Number(text.match(pattern)?.[1] ?? 0);

/**
 * The counts a runner printed last: jest's `Tests: 1 failed, 2 skipped, 506 passed, 509 total`, or Hardhat's
 * `145 passing (98 solidity, 47 nodejs)` with `N failing` / `N pending` beside it. None for a step without tests.
 */
export function countsOf(output: string): Counts | undefined {
  const plain = stripVTControlCharacters(output);
  const jest = [...plain.matchAll(/^Tests:[ \t]+(.*\btotal)$/gm)].at(-1)?.[1];
  if (jest !== undefined) {
    return {
      passed: count(jest, /(\d+) passed/),
      failed: count(jest, /(\d+) failed/),
      skipped: count(jest, /(\d+) (?:skipped|todo)/),
    };
  }
  const passing = [...plain.matchAll(/^\s*(\d+) passing\b/gm)].at(-1);
  if (passing === undefined) return undefined;
  const rest = plain.slice(passing.index);
  return {
    passed: Number(passing[1]),
    failed: count(rest, /^\s*(\d+) failing\b/m),
    skipped: count(rest, /^\s*(\d+) pending\b/m),
  };
}

/** One line per step (counts, verdict, seconds), the steps a stopped run never reached, and the total. */
export function summaryLines(results: readonly StepResult[], steps: readonly Step[]): string[] {
  const width = Math.max(...steps.map((s) => s.name.length));
  const lines = ["== pnpm test: summary =="];
  for (const { step, exitCode, seconds, counts } of results) {
    const verdict = exitCode === 0 ? "ok" : `FAILED (exit ${exitCode})`;
    const tally =
      counts === undefined
        ? ""
        : `${counts.passed} passed, ${counts.failed} failed${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ""}  `;
    lines.push(`${step.name.padEnd(width)}  ${tally}${verdict}  ${seconds.toFixed(0)} s`);
  }
  for (const step of steps.slice(results.length)) lines.push(`${step.name.padEnd(width)}  not run`);
  const counted = results.flatMap((r) => (r.counts === undefined ? [] : [r.counts]));
  const passed = counted.reduce((sum, c) => sum + c.passed, 0);
  // A suite that failed without printing counts (it crashed, or its build did) still counts as a failure.
  const failed =
    counted.reduce((sum, c) => sum + c.failed, 0) +
    results.filter((r) => r.exitCode !== 0 && (r.counts?.failed ?? 0) === 0).length;
  lines.push(`total: ${passed} passed, ${failed} failed`);
  return lines;
}
