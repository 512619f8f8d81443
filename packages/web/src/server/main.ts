/**
 * Serves the built app against a deployment:
 *   tsx packages/web/src/server/main.ts --rpc-url URL --deployment FILE [--gateway URL] [--port N]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseDeployment } from "@teetee/contracts/deployments";
import { serveWeb } from "./serveWeb.js";

const { values } = parseArgs({
  options: {
    "rpc-url": { type: "string", default: process.env["TEETEE_RPC_URL"] ?? "http://127.0.0.1:8545" },
    deployment: { type: "string", default: process.env["TEETEE_DEPLOYMENT"] },
    gateway: { type: "string", default: process.env["TEETEE_GATEWAY_URL"] },
    port: { type: "string", default: "5173" },
  },
});
if (values.deployment === undefined) {
  console.error("Pass --deployment <file> (or set TEETEE_DEPLOYMENT).");
  process.exit(2);
}
const deployment = parseDeployment(JSON.parse(readFileSync(values.deployment, "utf8")), values.deployment);
const web = await serveWeb({
  port: Number(values.port),
  rpcUrl: values["rpc-url"],
  deployment,
  ...(values.gateway === undefined ? {} : { gatewayUrl: values.gateway }),
});
console.log(`TeeTee web app: ${web.url}`);
