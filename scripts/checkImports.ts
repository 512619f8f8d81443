/**
 * `pnpm lint`'s import step: fails when a relative import leaves its package (or reaches into `scripts/` from a
 * package), or when packages or modules import each other in a cycle. See `lib/importBoundaries.ts`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { posix } from "node:path";
import { describeImportProblem, findImportProblems, type WorkspacePackage } from "./lib/importBoundaries.js";

/** Generated code is checked where it is generated from. */
const GENERATED = [/^packages\/contracts\/typechain\//, /\/dist\//];

function trackedFiles(pattern: string[]): string[] {
  const output = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", ...pattern], {
    encoding: "utf8",
  });
  return output.split("\n").filter((line) => line.length > 0);
}

function workspacePackages(): WorkspacePackage[] {
  return trackedFiles(["packages/*/package.json"]).map((manifestPath) => {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { name: string; exports?: unknown };
    const exports: Record<string, string> = {};
    if (typeof manifest.exports === "string") exports["."] = manifest.exports;
    else if (manifest.exports !== null && typeof manifest.exports === "object") {
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        // Node-only entries are exported under the `node` condition alone (see packages/sdk/README.md).
        const file = typeof target === "string" ? target : (target as Record<string, unknown> | null)?.node;
        if (typeof file === "string") exports[subpath] = file;
      }
    }
    return { name: manifest.name, dir: posix.dirname(manifestPath), exports };
  });
}

const sources = new Map<string, string>();
for (const file of trackedFiles(["*.ts", "*.tsx", "*.mts"])) {
  if (file.endsWith(".d.ts") || GENERATED.some((pattern) => pattern.test(file))) continue;
  sources.set(file, readFileSync(file, "utf8"));
}
const problems = findImportProblems(sources, workspacePackages());
for (const problem of problems) process.stderr.write(`${describeImportProblem(problem)}\n`);
if (problems.length > 0) {
  process.stderr.write(`${problems.length} import problem(s) in ${sources.size} files\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`imports: ${sources.size} files, no boundary crossed, no cycle\n`);
}
