/**
 * Prints the dstack app-compose.json for the runner and its compose hash (what a curator allowlists), for a
 * compose file used as is; `teetee deploy compose --image …` fills in a pinned image and writes the files:
 *   pnpm exec tsx deploy/composeHash.ts [--compose deploy/docker-compose.yml] [--name teetee-runner] [--json]
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runnerAppCompose, runnerComposeHash } from "@teetee/runner/composeHash";

const { values } = parseArgs({
  options: {
    compose: { type: "string", default: fileURLToPath(new URL("./docker-compose.yml", import.meta.url)) },
    name: { type: "string", default: "teetee-runner" },
    json: { type: "boolean", default: false },
  },
});
const appCompose = runnerAppCompose({
  dockerCompose: readFileSync(values.compose, "utf8"),
  name: values.name,
});
const composeHash = runnerComposeHash(appCompose);
console.log(values.json ? JSON.stringify({ composeHash, appCompose }, null, 2) : composeHash);
