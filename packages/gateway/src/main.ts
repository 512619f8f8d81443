import { config as loadEnv } from "dotenv";
import { gatewayUsage, parseGatewayConfig } from "./config.js";
import { GatewayError } from "./errors.js";
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
  console.error(error instanceof GatewayError ? `teetee-gateway: ${error.message}` : error);
  process.exit(1);
});
