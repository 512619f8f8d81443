/** Where a command writes, and the environment it reads: injectable so tests run commands in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Resolves when the user asks a long-running command (dev-tee, runner start) to stop. */
  untilStopped: () => Promise<void>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    untilStopped: () =>
      new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      }),
  };
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** Prints a result: aligned `label value` lines for people, or one JSON object with `--json`. */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** Progress and notes for people; silent with `--json` so stdout stays one JSON document. */
  note(line: string): void {
    if (!this.json) this.io.stdout(`${line}\n`);
  }

  result(data: Record<string, unknown>, human: readonly (readonly [string, unknown])[] | string): void {
    if (this.json) {
      this.io.stdout(`${toJson(data)}\n`);
      return;
    }
    if (typeof human === "string") {
      this.io.stdout(`${human}\n`);
      return;
    }
    const width = Math.max(0, ...human.map(([label]) => label.length));
    for (const [label, value] of human) this.io.stdout(`${label.padEnd(width)}  ${String(value)}\n`);
  }
}
