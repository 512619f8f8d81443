/**
 * Rewrites the command reference in packages/cli/README.md (between the `commands` markers) from the program,
 * so the README lists every command with its flags as `--help` does. `test/readme.test.ts` fails until it is run.
 *
 *   pnpm exec tsx packages/cli/scripts/writeReadme.ts
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { readmeFile, withReference } from "../test/readme.js";

const file = fileURLToPath(readmeFile);
await writeFile(file, withReference(await readFile(file, "utf8")));
console.log(`Wrote the command reference into ${file}`);
