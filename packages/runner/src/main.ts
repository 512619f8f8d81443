import { describe, hintOf, TeeTeeError } from "@teetee/errors";
import { config as loadEnv } from "dotenv";
import { parseRunnerConfig, runnerUsage } from "./config.js";
import { startRunner } from "./startRunner.js";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(runnerUsage);
    return;
  }
  loadEnv({ quiet: true });
  const runner = await startRunner({
    config: parseRunnerConfig(args[0] === "--" ? args.slice(1) : args, process.env),
  });
  const stop = () => {
    runner.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  // Startup errors say what went wrong and what to do next; anything else is a bug worth its stack.
  if (error instanceof TeeTeeError) {
    console.error(`teetee-runner: ${describe(error)}`);
    const hint = hintOf(error);
    if (hint !== undefined) console.error(`Hint: ${hint}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
