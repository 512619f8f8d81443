import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findNodeOnlyImports, type NodeOnlyImport } from "./importGraph.js";

/**
 * Which package entries a browser may load. An entry exported with a plain path is browser-safe and must reach
 * nothing Node-only through any import; one exported only under the `node` condition is Node-only, so a browser
 * bundler cannot resolve it at all. Each Node-only entry must show at least one Node-only import here, which both
 * says why it is Node-only and proves the walk finds such imports.
 */

type Exports = Record<string, string | { node: string }>;

function entriesOf(packageDir: string): { subpath: string; file: string; nodeOnly: boolean }[] {
  const manifest = JSON.parse(
    readFileSync(new URL(`${packageDir}/package.json`, import.meta.url), "utf8"),
  ) as {
    exports: Exports;
  };
  return Object.entries(manifest.exports).map(([subpath, target]) => {
    const path = typeof target === "string" ? target : target.node;
    return {
      subpath,
      file: fileURLToPath(new URL(`${packageDir}/${path}`, import.meta.url)),
      nodeOnly: typeof target !== "string",
    };
  });
}

function describeImports(problems: readonly NodeOnlyImport[]): string[] {
  const short = (file: string) =>
    file.replace(/^.*\/node_modules\//, "").replace(/^.*\/packages\//, "packages/");
  return problems.map(
    (problem) => `${problem.specifier} ${problem.reason}, via ${problem.chain.map(short).join(" > ")}`,
  );
}

const sdkEntries = entriesOf("..");
const contractsEntries = entriesOf("../../contracts").filter((entry) => entry.subpath !== "./typechain");

describe("browser-safe package entries", () => {
  it("classifies every SDK subpath, the buyer's and verifier's parts browser-safe", () => {
    expect(sdkEntries.filter((entry) => !entry.nodeOnly).map((entry) => entry.subpath)).toEqual([
      "./attestation",
      "./contracts",
      "./payments",
      "./protocol",
      "./receipts",
      "./lifecycle",
    ]);
    expect(sdkEntries.filter((entry) => entry.nodeOnly).map((entry) => entry.subpath)).toEqual([
      "./http",
      "./payments/runner",
      "./pipeline",
      "./wire",
    ]);
  });

  const browserSafe: [name: string, file: string][] = [
    ...sdkEntries
      .filter((entry) => !entry.nodeOnly)
      .map((entry): [string, string] => [`@teetee/sdk${entry.subpath.slice(1)}`, entry.file]),
    ...contractsEntries
      .filter((entry) => !entry.nodeOnly)
      .map((entry): [string, string] => [`@teetee/contracts${entry.subpath.slice(1)}`, entry.file]),
    // The browser checks an answer's text with the model's tokenizer; the rest of @teetee/inference runs onnxruntime.
    ...entriesOf("../../inference")
      .filter((entry) => entry.subpath === "./tokenizer")
      .map((entry): [string, string] => ["@teetee/inference/tokenizer", entry.file]),
  ];

  it.each(browserSafe)("%s imports nothing Node-only, transitively", (_name, file) => {
    expect(describeImports(findNodeOnlyImports(file))).toEqual([]);
  });

  it.each([
    ["@teetee/sdk/http", "node:http"],
    ["@teetee/sdk/payments/runner", "node:sqlite"],
    ["@teetee/sdk/payments/runner", "getBuiltinModule"],
    ["@teetee/sdk/pipeline", "node:https"],
    ["@teetee/sdk/wire", "node:crypto"],
    ["@teetee/contracts/deployments", "node:fs"],
  ])("%s is Node-only: it reaches %s", (name, specifier) => {
    const [packageName, ...rest] = name.replace("@teetee/", "").split("/");
    const subpath = `./${rest.join("/")}`;
    const entry = (packageName === "sdk" ? sdkEntries : contractsEntries).find((e) => e.subpath === subpath);
    expect(entry?.nodeOnly).toBe(true);
    const found = findNodeOnlyImports(entry!.file).map((problem) => problem.specifier);
    expect(found).toContain(specifier);
  });
});
