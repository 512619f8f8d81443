/**
 * The import rules that keep the workspace's packages separable: a relative import never leaves the package (or
 * the root's own folders, the zone `(root)`) it is written in, so packages reach each other only by name, through
 * their exports; and no import cycle exists, between zones or between modules.
 *
 * The checker reads source text only (TypeScript's own pre-processor finds every static, dynamic and re-export
 * specifier), so it runs in a second over the whole tree and a test can feed it a made-up tree.
 */
import { posix } from "node:path";
import ts from "typescript";

/** A workspace package: its name and its folder relative to the repository root (`packages/sdk`). */
export interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  /** Its package.json `exports`, subpath -> file relative to `dir` (only string targets are followed). */
  readonly exports: Readonly<Record<string, string>>;
}

export type ImportProblem =
  | {
      readonly kind: "crosses-boundary";
      readonly file: string;
      readonly specifier: string;
      readonly target: string;
    }
  | { readonly kind: "package-cycle"; readonly packages: readonly string[] }
  | { readonly kind: "module-cycle"; readonly files: readonly string[] };

/** The repository root's own code (scripts, root tests, the Hardhat config) is one more zone, named `(root)`. */
export const ROOT_ZONE = "(root)";

const SOURCE_EXTENSIONS = [".ts", ".tsx", ".mts"];

/** The zone (package name, or `(root)`) a repository-relative path belongs to. */
function zoneOf(path: string, packages: readonly WorkspacePackage[]): string {
  for (const pkg of packages) if (path === pkg.dir || path.startsWith(`${pkg.dir}/`)) return pkg.name;
  return ROOT_ZONE;
}

/**
 * Whether a file is part of what its package ships, as opposed to its tests, end-to-end harness, benchmarks or
 * scripts (in the root zone: its scripts ship, its tests do not). Only shipped files make package dependencies: a package's tests may use the local network
 * (`@teetee/devnet`) that itself runs the package, as a devDependency does, without that being a cycle.
 */
export function isShippedFile(path: string, packages: readonly WorkspacePackage[]): boolean {
  const pkg = packages.find((p) => path.startsWith(`${p.dir}/`));
  const inside = pkg === undefined ? path : path.slice(pkg.dir.length + 1);
  const tooling = pkg === undefined ? /^test\// : /^(test|e2e|bench|scripts)\//;
  return !tooling.test(inside) && !/\.test\.tsx?$/.test(inside);
}

/** Every module specifier a source file names: imports, re-exports, dynamic imports, `import x = require()`. */
export function specifiersOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((ref) => ref.fileName);
}

/** A relative specifier's target file among `files`: `./x.js` is `./x.ts`, a folder is its index. */
function resolveRelative(from: string, specifier: string, files: ReadonlySet<string>): string {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const stem = base.replace(/\.(m?js|jsx)$/, "");
  const candidates = [
    base,
    ...SOURCE_EXTENSIONS.map((ext) => stem + ext),
    ...SOURCE_EXTENSIONS.map((ext) => `${base}/index${ext}`),
  ];
  return candidates.find((candidate) => files.has(candidate)) ?? base;
}

/** A package-name specifier's target file through the package's exports, when it is a workspace package. */
function resolvePackage(specifier: string, packages: readonly WorkspacePackage[]): string | undefined {
  for (const pkg of packages) {
    if (specifier !== pkg.name && !specifier.startsWith(`${pkg.name}/`)) continue;
    const subpath = `.${specifier.slice(pkg.name.length)}`;
    const target = pkg.exports[subpath];
    return target === undefined ? undefined : posix.normalize(posix.join(pkg.dir, target));
  }
  return undefined;
}

function packageOfSpecifier(specifier: string, packages: readonly WorkspacePackage[]): string | undefined {
  return packages.find((pkg) => specifier === pkg.name || specifier.startsWith(`${pkg.name}/`))?.name;
}

/**
 * Strongly connected components with more than one member (or a self edge), by Tarjan's algorithm, each listed
 * from its smallest member so a report is stable.
 */
export function cyclesOf(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  // Iterative, so a long chain of modules cannot overflow the call stack.
  for (const root of [...graph.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { node: string; edges: string[]; at: number }[] = [];
    const enter = (node: string) => {
      index.set(node, next);
      low.set(node, next);
      next += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, edges: [...(graph.get(node) ?? [])].sort(), at: 0 });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.at < frame.edges.length) {
        const to = frame.edges[frame.at]!;
        frame.at += 1;
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      for (;;) {
        const member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
        if (member === frame.node) break;
      }
      const selfEdge = graph.get(frame.node)?.has(frame.node) ?? false;
      if (component.length > 1 || selfEdge) cycles.push(component.sort());
    }
  }
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

function addEdge(graph: Map<string, Set<string>>, from: string, to: string): void {
  const edges = graph.get(from) ?? new Set<string>();
  edges.add(to);
  graph.set(from, edges);
}

/**
 * Checks a tree given as repository-relative path -> source text. Type-only imports count too: a cycle of types
 * still ties two packages' builds together. Package cycles are judged on shipped files (`isShippedFile`); module
 * cycles and boundary crossings on every file.
 */
export function findImportProblems(
  sources: ReadonlyMap<string, string>,
  packages: readonly WorkspacePackage[],
): ImportProblem[] {
  const files = new Set(sources.keys());
  const problems: ImportProblem[] = [];
  const packageGraph = new Map<string, Set<string>>();
  const moduleGraph = new Map<string, Set<string>>();
  for (const [file, text] of sources) {
    const zone = zoneOf(file, packages);
    const shipped = isShippedFile(file, packages);
    moduleGraph.set(file, moduleGraph.get(file) ?? new Set());
    for (const specifier of specifiersOf(text)) {
      if (specifier.startsWith(".")) {
        const target = resolveRelative(file, specifier, files);
        const targetZone = zoneOf(target, packages);
        if (targetZone !== zone || target.startsWith("../")) {
          problems.push({ kind: "crosses-boundary", file, specifier, target });
          if (shipped) addEdge(packageGraph, zone, targetZone);
        }
        if (files.has(target)) addEdge(moduleGraph, file, target);
        continue;
      }
      const dependency = packageOfSpecifier(specifier, packages);
      if (dependency === undefined || dependency === zone) continue;
      if (shipped) addEdge(packageGraph, zone, dependency);
      const target = resolvePackage(specifier, packages);
      if (target !== undefined && files.has(target)) addEdge(moduleGraph, file, target);
    }
  }
  for (const cycle of cyclesOf(packageGraph)) problems.push({ kind: "package-cycle", packages: cycle });
  for (const cycle of cyclesOf(moduleGraph)) problems.push({ kind: "module-cycle", files: cycle });
  return problems;
}

/** One line per problem, for the lint step's output. */
export function describeImportProblem(problem: ImportProblem): string {
  switch (problem.kind) {
    case "crosses-boundary":
      return `${problem.file}: "${problem.specifier}" reaches ${problem.target}, outside its package; import the package by name`;
    case "package-cycle":
      return `packages import each other in a cycle: ${problem.packages.join(" <-> ")}`;
    case "module-cycle":
      return `modules import each other in a cycle: ${problem.files.join(" <-> ")}`;
  }
}
