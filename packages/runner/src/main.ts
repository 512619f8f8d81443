import { config as loadEnv } from "dotenv";
import { parseRunnerConfig, runnerUsage } from "./config.js";
import { RunnerError } from "./errors.js";
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
  // Startup errors carry what to do next; anything else is a bug worth its stack.
  console.error(error instanceof RunnerError ? `teetee-runner: ${error.message}` : error);
  process.exit(1);
});
