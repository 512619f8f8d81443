import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CliError, ExitCode } from "./errors.js";

export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** The `main.ts` of a workspace app (runner, gateway), run through tsx. */
export function packageMain(name: "runner" | "gateway"): string {
  const file = fileURLToPath(new URL(`../../../${name}/src/main.ts`, import.meta.url));
  if (!existsSync(file)) {
    throw new CliError(`The ${name} package has no src/main.ts yet.`, { exitCode: ExitCode.config });
  }
  return file;
}

/** Starts a workspace app with the given arguments; its output goes where `stdio` says. */
export function spawnPackage(
  name: "runner" | "gateway",
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stdio?: "inherit" | "pipe" } = {},
): ChildProcess {
  const tsx = fileURLToPath(new URL("../../../../node_modules/.bin/tsx", import.meta.url));
  return spawn(tsx, [packageMain(name), ...args], {
    cwd: repoRoot,
    env: options.env ?? process.env,
    stdio: options.stdio === "pipe" ? ["ignore", "pipe", "pipe"] : "inherit",
  });
}

/** Runs a workspace app in the foreground until it exits, forwarding Ctrl-C; resolves with its exit code. */
export async function runPackage(
  name: "runner" | "gateway",
  args: readonly string[],
  env: NodeJS.ProcessEnv,
) {
  const child = spawnPackage(name, args, { env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => resolve(code ?? 1));
    });
  } finally {
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
  }
}
