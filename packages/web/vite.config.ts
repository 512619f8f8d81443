import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * No aliases: the app imports `@teetee/sdk/<subpath>` and `@teetee/contracts/abi` by name, and only their
 * browser-safe entries (the SDK's browserSafeEntries test walks each one's import graph for Node-only modules).
 */
export default defineConfig({
  root: here("."),
  base: "./",
  plugins: [react()],
  build: { outDir: here("dist"), emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
