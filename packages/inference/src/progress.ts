import cliProgress from "cli-progress";

export type Progress = { tick(label: string): void; stop(): void };

/**
 * A progress bar on stderr when it is a terminal and the caller did not ask for quiet; otherwise nothing, so
 * tests and piped logs stay clean.
 */
export function createProgress(total: number, title: string, quiet = false): Progress {
  if (quiet || !process.stderr.isTTY) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {value}/{total} {label}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: "" });
  return {
    tick: (label) => bar.increment(1, { label }),
    stop: () => bar.stop(),
  };
}
