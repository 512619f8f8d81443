/**
 * `pnpm test`: every check of the repository in order, then one line per suite with its counts and time, so a
 * failure's place is clear at the end of a long log. A failed build stops the run (nothing after it means
 * anything); a failed suite does not, so one run shows every suite that fails. Exits 1 when anything failed.
 */
import { spawn } from "node:child_process";
import { countsOf, type Step, type StepResult, summaryLines } from "./lib/testSummary.js";

const steps: Step[] = [
  { name: "contracts build", script: "build:contracts", stopsRunOnFailure: true },
  { name: "lint", script: "lint" },
  { name: "gas check", script: "gas:check" },
  { name: "contract tests", script: "test:contracts" },
  { name: "package tests", script: "test:packages" },
  { name: "web e2e tests", script: "test:web" },
];

/** Runs `pnpm <script>`, passing its output through while keeping the tail to read its counts from. */
function run(step: Step): Promise<StepResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn("pnpm", [step.script], { stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-200_000);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      keep(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      keep(chunk);
    });
    child.once("close", (code, signal) =>
      resolve({
        step,
        exitCode: code ?? (signal === null ? 1 : 128),
        seconds: (performance.now() - started) / 1000,
        counts: countsOf(tail),
      }),
    );
  });
}

const results: StepResult[] = [];
for (const step of steps) {
  const result = await run(step);
  results.push(result);
  if (result.exitCode !== 0 && step.stopsRunOnFailure) break;
}
process.stdout.write(`\n${summaryLines(results, steps).join("\n")}\n`);
process.exitCode = results.length === steps.length && results.every((r) => r.exitCode === 0) ? 0 : 1;
