import { describe } from "@teetee/errors";
import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands/index.js";
import { type CliError, ExitCode, type ExitCodeValue, toCliError } from "./lib/errors.js";
import { type CliIo, toJson } from "./lib/io.js";

export const exitCodeHelp = `
Exit codes:
  0  success
  1  unexpected failure
  2  bad usage or input (a gateway's 400 or 404 too)
  3  configuration: no key, unreadable keystore, missing or stale deployment, a key the gateway refuses (401)
  4  network: chain RPC, runner, gateway or TEE unreachable, or unable to serve now (429, 503, no model served)
  5  refused: the contract reverted (the custom error is shown in words) or the balance is insufficient (402)
  6  verification failed: a runner's attestation did not pass every check

Keys and URLs come from flags or the environment (a .env file in the working directory is read):
  TEETEE_RPC_URL, TEETEE_PRIVATE_KEY (or --key-env NAME), TEETEE_KEYSTORE + TEETEE_KEYSTORE_PASSWORD,
  TEETEE_DEPLOYMENT, TEETEE_GATEWAY_URL, TEETEE_API_KEY.`;

/** Builds the `teetee` program; every command writes through `io` so tests can run it in-process. */
export function createProgram(io: CliIo): Command {
  const program = new Command("teetee")
    .description("TeeTee: LLMs split across attested TEE runners, paid per request and settled on-chain")
    .option("--rpc-url <url>", "chain JSON-RPC URL (default TEETEE_RPC_URL, else http://127.0.0.1:8545)")
    .option(
      "--deployment <file>",
      "deployment JSON (default TEETEE_DEPLOYMENT, else the chain's in packages/contracts)",
    )
    .option(
      "--key <hex>",
      "private key (prefer --key-env or a keystore: flags are visible to other local users)",
    )
    .option("--key-env <name>", "environment variable holding the private key (default TEETEE_PRIVATE_KEY)")
    .option("--keystore <file>", "encrypted JSON keystore (default TEETEE_KEYSTORE)")
    .option(
      "--password-env <name>",
      "environment variable holding the keystore password",
      "TEETEE_KEYSTORE_PASSWORD",
    )
    .option("--json", "print one JSON object instead of text")
    .addHelpText("after", exitCodeHelp)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerCommands(program, io);
  return program;
}

function report(io: CliIo, error: CliError, json: boolean): void {
  if (json) {
    const { exitCode, hint, errorName } = error;
    io.stderr(`${toJson({ error: { exitCode, message: describe(error), hint, name: errorName } })}\n`);
    return;
  }
  const name = error.errorName === undefined ? "" : ` (${error.errorName})`;
  io.stderr(`Error${name}: ${describe(error)}\n`);
  if (error.hint !== undefined) io.stderr(`Hint: ${error.hint}\n`);
}

/** Runs `teetee` with `argv` (without node and script) and returns the exit code; never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok;
      return ExitCode.usage;
    }
    const cliError = toCliError(error);
    report(io, cliError, argv.includes("--json"));
    if (cliError.exitCode === ExitCode.unexpected && io.env["TEETEE_DEBUG"] !== undefined) {
      io.stderr(`${error instanceof Error ? error.stack : String(error)}\n`);
    }
    return cliError.exitCode;
  }
}
