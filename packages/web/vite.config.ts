import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * `@teetee/contracts`' root index also reads deployment files with node:fs; the browser gets only its ABIs
 * (the SDK's contract actions import them from there), and the addresses come from the runtime `config.json`.
 */
export default defineConfig({
  root: here("."),
  base: "./",
  plugins: [react()],
  resolve: {
    alias: [{ find: /^@teetee\/contracts$/, replacement: here("src/chain/contractsBrowser.ts") }],
  },
  build: { outDir: here("dist"), emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
