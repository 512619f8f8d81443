import { describe, hintOf, TeeTeeError } from "@teetee/errors";
import { config as loadEnv } from "dotenv";
import { gatewayUsage, parseGatewayConfig } from "./config.js";
import { startGateway } from "./startGateway.js";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(gatewayUsage);
    return;
  }
  loadEnv({ quiet: true });
  const gateway = await startGateway({
    config: parseGatewayConfig(args[0] === "--" ? args.slice(1) : args, process.env),
  });
  console.log(`gateway listening: ${gateway.url}`);
  const stop = () => {
    gateway.close().then(
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
    console.error(`teetee-gateway: ${describe(error)}`);
    const hint = hintOf(error);
    if (hint !== undefined) console.error(`Hint: ${hint}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
