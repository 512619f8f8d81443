import { fileURLToPath } from "node:url";
import { build } from "vite";

/** Builds the app into packages/web/dist with the package's vite config. */
export async function buildWeb(options: { quiet?: boolean } = {}): Promise<void> {
  await build({
    configFile: fileURLToPath(new URL("../../vite.config.ts", import.meta.url)),
    logLevel: options.quiet ? "warn" : "info",
  });
}
