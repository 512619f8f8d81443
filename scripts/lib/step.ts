/** Runs one named step of a long job, printing its progress and naming it when it fails. */
export async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  process.stdout.write(`• ${name} ...`);
  try {
    const result = await run();
    process.stdout.write(` done (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (error) {
    process.stdout.write(" failed\n");
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Step "${name}" failed: ${reason}`, { cause: error });
  }
}
