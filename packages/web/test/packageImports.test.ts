import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The web app reaches other packages by name only: `@teetee/sdk/<subpath>`, `@teetee/contracts/abi`, as their
 * `exports` list them. No relative path out of this package, no deep path into a package's files, no Vite alias
 * into package sources; and the code that runs in the browser (everything under `src/` but `src/server/`) loads
 * only entries a browser may resolve, i.e. not those exported under the `node` condition alone.
 */

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const packagesDir = dirname(webDir);
const workspaceScope = "@teetee/";

interface Import {
  file: string;
  specifier: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Static and dynamic imports and re-exports, with `import type` / `export type` marked. */
export function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  const statement = /(?:^|[;\n])\s*(import|export)(\s+type)?\b[^"';]*?\bfrom\s*["']([^"']+)["']/g;
  for (const match of text.matchAll(statement)) {
    found.push({ file, specifier: match[3] as string, typeOnly: match[2] !== undefined });
  }
  for (const match of text.matchAll(/(?:^|[;\n])\s*import\s*["']([^"']+)["']/g)) {
    found.push({ file, specifier: match[1] as string, typeOnly: false });
  }
  for (const match of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    found.push({ file, specifier: match[1] as string, typeOnly: false });
  }
  return found;
}

type Exports = Record<string, string | Record<string, string>>;

function workspaceExports(name: string): Exports | undefined {
  const dir = join(packagesDir, name.slice(workspaceScope.length));
  if (!existsSync(join(dir, "package.json"))) return undefined;
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { exports?: Exports }).exports;
}

/** What is wrong with one import, or `undefined` when it is fine. */
export function checkImport({ file, specifier, typeOnly }: Import): string | undefined {
  if (specifier.startsWith(".")) {
    const target = resolve(dirname(file), specifier);
    if (!target.startsWith(webDir + sep)) return "reaches out of packages/web by relative path";
    return undefined;
  }
  if (specifier.includes("packages/")) return "names a path inside the workspace";
  if (!specifier.startsWith(workspaceScope)) return undefined;
  const [scope, name, ...rest] = specifier.split("/");
  const exports = workspaceExports(`${scope}/${name}`);
  if (!exports) return `names no workspace package`;
  const subpath = rest.length === 0 ? "." : `./${rest.join("/")}`;
  const target = exports[subpath];
  if (target === undefined)
    return `is not one of ${scope}/${name}'s exports (${Object.keys(exports).join(", ")})`;
  const underSrc = relative(join(webDir, "src"), file);
  const inBrowser = !underSrc.startsWith("..") && underSrc.split(sep)[0] !== "server";
  if (inBrowser && !typeOnly && typeof target !== "string") return "is Node-only but loaded by browser code";
  return undefined;
}

const files = [
  ...sourceFiles(join(webDir, "src")),
  ...sourceFiles(join(webDir, "e2e")),
  ...sourceFiles(join(webDir, "test")),
  join(webDir, "vite.config.ts"),
];

describe("the web app's imports of other packages", () => {
  it("are by name, to an exported entry, browser-safe in browser code", () => {
    const problems = files.flatMap((file) =>
      importsOf(file, readFileSync(file, "utf8")).flatMap((entry) => {
        const problem = checkImport(entry);
        return problem ? [`${relative(webDir, file)}: "${entry.specifier}" ${problem}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it("has no Vite alias, which could point a package name at its sources", () => {
    expect(readFileSync(join(webDir, "vite.config.ts"), "utf8")).not.toMatch(/\balias\b/);
  });

  it.each([
    ["src/chain/x.ts", 'import { a } from "../../../sdk/src/contracts/index.js";', "by relative path"],
    ["src/chain/x.ts", 'export * from "../../../contracts/src/abis/Staking.js";', "by relative path"],
    ["src/chain/x.ts", 'import { a } from "@teetee/sdk/src/wire/fp16.js";', "not one of"],
    ["src/chain/x.ts", 'import { a } from "@teetee/sdk";', "not one of"],
    ["src/chain/x.ts", 'const m = await import("@teetee/sdk/wire");', "browser code"],
    ["src/chain/x.ts", 'import {\n  createLimitedServer,\n} from "@teetee/sdk/http";', "browser code"],
    ["e2e/x.ts", 'import { a } from "/work/packages/sdk/src/index.js";', "inside the workspace"],
  ])("finds %s importing %j (%s)", (path, text, reason) => {
    const problems = importsOf(join(webDir, path), text).map(checkImport);
    expect(problems).toEqual([expect.stringContaining(reason)]);
  });

  it.each([
    ["src/chain/x.ts", 'import { getStake } from "@teetee/sdk/contracts";'],
    ["src/chain/x.ts", 'import type { Deployment } from "@teetee/contracts/deployments";'],
    ["src/server/x.ts", 'import { createLimitedServer } from "@teetee/sdk/http";'],
    ["e2e/x.ts", 'import { stake } from "@teetee/sdk/contracts";\nimport { x } from "./harness.js";'],
  ])("accepts %s importing %j", (path, text) => {
    expect(importsOf(join(webDir, path), text).map(checkImport)).toEqual(
      importsOf(join(webDir, path), text).map(() => undefined),
    );
  });
});
