import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import ts from "typescript";

/**
 * The static import graph a browser bundler sees from an entry file: our TypeScript sources and, through
 * `node_modules`, every package's JavaScript, resolved as a bundler targeting the browser resolves it (the
 * `browser`/`import`/`default` export conditions, the `browser` field). Type-only imports are skipped, since
 * they leave nothing behind; every other import, dynamic ones included, counts.
 */

/** Why a module cannot run in a browser. */
export interface NodeOnlyImport {
  /** The specifier as written. */
  specifier: string;
  /** The file that wrote it. */
  importer: string;
  reason: string;
  /** Files from the entry to `importer`. */
  chain: string[];
}

const builtins = new Set(builtinModules.filter((name) => !name.startsWith("_")));
const conditions = ["browser", "import", "module", "default"];
const sourceExtensions = [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"];

/** Imports a file makes that survive compilation: `import type` and `export type` declarations leave none. */
export function runtimeSpecifiers(file: string): string[] {
  let found = specifierCache.get(file);
  if (!found) {
    found = readSpecifiers(file);
    specifierCache.set(file, found);
  }
  return found;
}

const specifierCache = new Map<string, string[]>();

function readSpecifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  if (file.endsWith(".json")) return [];
  if (/\.(ts|tsx|mts|cts)$/.test(file)) return typeScriptSpecifiers(file, text);
  return ts.preProcessFile(text, true, true).importedFiles.map((reference) => reference.fileName);
}

function typeScriptSpecifiers(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

type Resolution = { file: string } | { ignored: true } | { nodeOnly: string };

interface PackageJson {
  name?: string;
  main?: string;
  module?: string;
  browser?: string | Record<string, string | false>;
  exports?: unknown;
  gypfile?: boolean;
  dependencies?: Record<string, string>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
}

/** The folder of the package a file belongs to (nearest `package.json` with a name). */
function packageDirOf(file: string): string | undefined {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && readPackage(dir).name) return dir;
  }
  return undefined;
}

function tryFile(path: string): string | undefined {
  if (existsSync(path) && statSync(path).isFile()) return realpathSync(path);
  return undefined;
}

/** A relative path as TypeScript and bundlers accept it: `./x.js` may name `./x.ts`; a folder its index. */
function resolveFile(path: string): string | undefined {
  const exact = tryFile(path);
  if (exact) return exact;
  const stem = path.replace(/\.(js|mjs|cjs|jsx)$/, "");
  for (const extension of sourceExtensions) {
    const found = tryFile(stem + extension);
    if (found) return found;
  }
  for (const extension of sourceExtensions) {
    const found = tryFile(join(path, `index${extension}`));
    if (found) return found;
  }
  return undefined;
}

/** A target from a package's `exports`, picking the first condition a browser bundler honours. */
function pickCondition(target: unknown): string | null | undefined {
  if (target === null) return null;
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const entry of target) {
      const picked = pickCondition(entry);
      if (picked !== undefined) return picked;
    }
    return undefined;
  }
  if (typeof target === "object") {
    for (const [condition, value] of Object.entries(target as Record<string, unknown>)) {
      if (!conditions.includes(condition)) continue;
      const picked = pickCondition(value);
      if (picked !== undefined) return picked;
    }
  }
  return undefined;
}

function resolveExports(exports: unknown, subpath: string): string | null | undefined {
  const map =
    typeof exports === "string" ||
    Array.isArray(exports) ||
    Object.keys(exports as object).every((key) => !key.startsWith("."))
      ? { ".": exports }
      : (exports as Record<string, unknown>);
  if (subpath in map) return pickCondition(map[subpath]);
  for (const [pattern, target] of Object.entries(map)) {
    const star = pattern.indexOf("*");
    if (star < 0) continue;
    const [prefix, suffix] = [pattern.slice(0, star), pattern.slice(star + 1)];
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= pattern.length - 1) {
      const picked = pickCondition(target);
      const match = subpath.slice(prefix.length, subpath.length - suffix.length);
      return typeof picked === "string" ? picked.replaceAll("*", match) : picked;
    }
  }
  return undefined;
}

/** The `browser` field's replacement for a path or module inside a package, if it has one. */
function browserReplacement(packageDir: string, key: string): string | false | undefined {
  const browser = readPackage(packageDir).browser;
  if (typeof browser !== "object") return undefined;
  for (const candidate of [key, `${key}.js`, key.replace(/^\.\//, "")]) {
    if (candidate in browser) return browser[candidate];
  }
  return undefined;
}

function findPackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dir === dirname(dir)) return undefined;
  }
}

function isNativeAddon(packageDir: string): string | undefined {
  const manifest = readPackage(packageDir);
  if (manifest.gypfile || existsSync(join(packageDir, "binding.gyp")))
    return "is a native addon (binding.gyp)";
  const loaders = ["node-gyp-build", "bindings", "prebuild-install", "node-pre-gyp", "@mapbox/node-pre-gyp"];
  const loader = loaders.find((name) => manifest.dependencies?.[name]);
  return loader ? `is a native addon (loads its binary with ${loader})` : undefined;
}

function resolveBare(specifier: string, importer: string): Resolution {
  const bare = specifier.replace(/^node:/, "");
  const [first, second] = bare.split("/");
  const name = bare.startsWith("@") ? `${first}/${second}` : (first as string);
  const subpath = `.${bare.slice(name.length)}`;
  const importerPackage = packageDirOf(importer);
  if (importerPackage) {
    const replaced = browserReplacement(importerPackage, specifier);
    if (replaced === false) return { ignored: true };
    if (typeof replaced === "string")
      return resolveSpecifier(replaced, join(importerPackage, "package.json"));
  }
  const packageDir = specifier.startsWith("node:") ? undefined : findPackageDir(name, dirname(importer));
  if (!packageDir) {
    if (specifier.startsWith("node:") || builtins.has(bare) || builtins.has(name)) {
      return { nodeOnly: "is a Node.js built-in module" };
    }
    return { nodeOnly: "cannot be resolved from this file" };
  }
  const native = isNativeAddon(packageDir);
  if (native) return { nodeOnly: native };
  const manifest = readPackage(packageDir);
  let target: string | null | undefined;
  if (manifest.exports !== undefined) {
    target = resolveExports(manifest.exports, subpath);
    if (target === null) return { ignored: true };
    if (target === undefined) return { nodeOnly: `is not exported by ${name} to a browser (Node-only)` };
  } else if (subpath === ".") {
    target =
      (typeof manifest.browser === "string" && manifest.browser) || manifest.module || manifest.main || ".";
  } else {
    target = subpath;
  }
  const file = resolveFile(join(packageDir, target));
  if (!file) return { nodeOnly: `resolves to ${target} in ${name}, which does not exist` };
  const replaced = browserReplacement(packageDir, `./${relative(packageDir, file).split(sep).join("/")}`);
  if (replaced === false) return { ignored: true };
  if (typeof replaced === "string") return resolveSpecifier(replaced, join(packageDir, "package.json"));
  return { file };
}

const resolutionCache = new Map<string, Resolution>();

function resolveSpecifier(specifier: string, importer: string): Resolution {
  const key = `${dirname(importer)}\0${specifier}`;
  let resolution = resolutionCache.get(key);
  if (!resolution) {
    resolution = resolveUncached(specifier, importer);
    resolutionCache.set(key, resolution);
  }
  return resolution;
}

function resolveUncached(specifier: string, importer: string): Resolution {
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) return resolveBare(specifier, importer);
  const packageDir = packageDirOf(importer);
  const path = join(dirname(importer), specifier);
  if (packageDir) {
    const replaced = browserReplacement(packageDir, `./${relative(packageDir, path).split(sep).join("/")}`);
    if (replaced === false) return { ignored: true };
  }
  const file = resolveFile(path);
  return file ? { file } : { nodeOnly: "cannot be resolved from this file" };
}

/** Node.js APIs our own code may reach without an import (`nativeSecp256k1.ts` loads an addon this way). */
const dynamicNodeLoads = /\b(getBuiltinModule|createRequire)\s*\(/;

/**
 * Every import reachable from `entry` that a browser cannot load: Node.js built-ins, native addons, package
 * subpaths exported only under the `node` condition, and (in our sources, outside `node_modules`) Node APIs
 * reached without an import.
 */
export function findNodeOnlyImports(entry: string): NodeOnlyImport[] {
  const start = realpathSync(entry);
  const parents = new Map<string, string | undefined>([[start, undefined]]);
  const queue = [start];
  const problems: NodeOnlyImport[] = [];
  const chainTo = (file: string): string[] => {
    const chain: string[] = [];
    for (let at: string | undefined = file; at; at = parents.get(at)) chain.unshift(at);
    return chain;
  };
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (!file.includes(`${sep}node_modules${sep}`)) {
      const call = readFileSync(file, "utf8").match(dynamicNodeLoads);
      if (call)
        problems.push({
          specifier: call[1] as string,
          importer: file,
          reason: "loads a Node.js module at run time",
          chain: chainTo(file),
        });
    }
    for (const specifier of runtimeSpecifiers(file)) {
      const resolution = resolveSpecifier(specifier, file);
      if ("nodeOnly" in resolution) {
        problems.push({ specifier, importer: file, reason: resolution.nodeOnly, chain: chainTo(file) });
      }
      if (!("file" in resolution) || parents.has(resolution.file)) continue;
      parents.set(resolution.file, file);
      queue.push(resolution.file);
    }
  }
  return problems;
}
