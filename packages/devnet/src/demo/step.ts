import { describe, hintOf, TeeTeeError } from "@teetee/errors";

/** A step of a long job failed; the cause says why. */
export class StepError extends TeeTeeError {
  override name = "StepError" as const;
}

/**
 * Runs one named step of a long job, printing its progress on stderr (stdout stays free for `--json`) and naming
 * the step when it fails.
 */
export async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  process.stderr.write(`• ${name} ...`);
  try {
    const result = await run();
    process.stderr.write(` done (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (error) {
    process.stderr.write(" failed\n");
    throw new StepError(`Step "${name}" failed: ${describe(error)}`, { cause: error, hint: hintOf(error) });
  }
}
