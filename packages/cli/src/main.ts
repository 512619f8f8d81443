import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { config } from "dotenv";
import { processIo } from "./lib/io.js";
import { runCli } from "./runCli.js";

const envFile = resolve(process.cwd(), process.env["TEETEE_ENV_FILE"] ?? ".env");
if (existsSync(envFile)) config({ path: envFile, quiet: true });

process.exitCode = await runCli(process.argv.slice(2), processIo());
