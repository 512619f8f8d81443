import type { Command } from "commander";
import { optionsOf } from "./command.js";
import { CliError, ExitCode } from "./errors.js";
import type { CliIo } from "./io.js";
import { runPackage } from "./spawnPackage.js";

/** Runs the runner or gateway package with the command's own arguments, passing on `--rpc-url` and `--deployment`. */
export async function delegate(io: CliIo, name: "runner" | "gateway", command: Command): Promise<void> {
  const options = optionsOf(command);
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (options.rpcUrl !== undefined) env["TEETEE_RPC_URL"] = options.rpcUrl;
  if (options.deployment !== undefined) env["TEETEE_DEPLOYMENT"] = options.deployment;
  const code = await runPackage(name, command.args, env);
  if (code !== 0)
    throw new CliError(`The ${name} exited with code ${code}.`, { exitCode: ExitCode.unexpected });
}
