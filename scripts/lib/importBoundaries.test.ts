import fc from "fast-check";
import { cyclesOf, findImportProblems, specifiersOf, type WorkspacePackage } from "./importBoundaries.js";

const packages: WorkspacePackage[] = [
  { name: "@t/a", dir: "packages/a", exports: { ".": "./src/index.ts", "./sub": "./src/sub/index.ts" } },
  { name: "@t/b", dir: "packages/b", exports: { ".": "./src/index.ts" } },
];

const tree = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("specifiersOf", () => {
  test("finds static, type-only, re-export and dynamic specifiers, not strings that look like them", () => {
    const text = [
      'import { x } from "./x.js";',
      'import type { T } from "@t/b";',
      'export * from "./y.js";',
      'const z = await import("./z.js");',
      'const text = "import nothing from \\"./not.js\\"";',
    ].join("\n");
    expect(specifiersOf(text)).toEqual(["./x.js", "@t/b", "./y.js", "./z.js"]);
  });
});

describe("findImportProblems", () => {
  test("a tree whose packages meet only by name has no problem", () => {
    const sources = tree({
      "packages/a/src/index.ts": 'export * from "./one.js";\nexport * from "./sub/index.js";',
      "packages/a/src/one.ts": 'import { b } from "@t/b";\nexport const one = b;',
      "packages/a/src/sub/index.ts": "export const sub = 1;",
      "packages/b/src/index.ts": "export const b = 2;",
      "scripts/run.ts": 'import { one } from "@t/a";\nimport { sub } from "@t/a/sub";\nimport "./lib/x.js";',
      "scripts/lib/x.ts": "export {};",
    });
    expect(findImportProblems(sources, packages)).toEqual([]);
  });

  test("a relative import into another package is refused, from a package or from the root", () => {
    const sources = tree({
      "packages/a/src/index.ts": 'import { b } from "../../b/src/index.js";',
      "packages/b/src/index.ts": "export const b = 2;",
      "scripts/run.ts": 'import { b } from "../packages/b/src/index.js";',
    });
    const crossings = findImportProblems(sources, packages).filter((p) => p.kind === "crosses-boundary");
    expect(crossings).toEqual([
      {
        kind: "crosses-boundary",
        file: "packages/a/src/index.ts",
        specifier: "../../b/src/index.js",
        target: "packages/b/src/index.ts",
      },
      {
        kind: "crosses-boundary",
        file: "scripts/run.ts",
        specifier: "../packages/b/src/index.js",
        target: "packages/b/src/index.ts",
      },
    ]);
  });

  test("a package reaching into the root's scripts is refused and makes a zone cycle with the root", () => {
    const sources = tree({
      "packages/a/src/deploy.ts": 'import { deploy } from "../../../scripts/deploy.js";',
      "scripts/deploy.ts": 'import { a } from "@t/a";\nexport const deploy = a;',
    });
    const problems = findImportProblems(sources, packages);
    expect(problems.map((p) => p.kind)).toEqual(["crosses-boundary", "package-cycle"]);
    expect(problems[1]).toEqual({ kind: "package-cycle", packages: ["(root)", "@t/a"] });
  });

  test("two packages that import each other by name are a package cycle", () => {
    const sources = tree({
      "packages/a/src/index.ts": 'import type { B } from "@t/b";\nexport type A = B;',
      "packages/b/src/index.ts": 'import { a } from "@t/a/sub";\nexport const b = a;',
      "packages/a/src/sub/index.ts": "export const a = 1;",
    });
    expect(findImportProblems(sources, packages)).toEqual([
      { kind: "package-cycle", packages: ["@t/a", "@t/b"] },
    ]);
  });

  test("a package's tests may use a package that depends on it (a devDependency), its shipped code may not", () => {
    const harness = {
      "packages/a/src/index.ts": "export const a = 1;",
      "packages/a/test/network.test.ts": 'import { up } from "@t/b";',
      "packages/a/e2e/harness.ts": 'import { up } from "@t/b";',
      "packages/a/src/a.test.ts": 'import { up } from "@t/b";',
      "packages/b/src/index.ts": 'import { a } from "@t/a";\nexport const up = a;',
    };
    expect(findImportProblems(tree(harness), packages)).toEqual([]);
    const shipped = { ...harness, "packages/a/src/uses.ts": 'import { up } from "@t/b";' };
    expect(findImportProblems(tree(shipped), packages)).toEqual([
      { kind: "package-cycle", packages: ["@t/a", "@t/b"] },
    ]);
  });

  test("modules that import each other in a ring are a module cycle, through a package's exports too", () => {
    const sources = tree({
      "packages/a/src/index.ts": 'export * from "./one.js";',
      "packages/a/src/one.ts": 'import { two } from "./two.js";\nexport const one = two;',
      "packages/a/src/two.ts": 'import { three } from "./three";\nexport const two = three;',
      "packages/a/src/three.ts": 'import { one } from "./one.js";\nexport const three = one;',
      "packages/a/src/self.ts": 'import { self } from "./self.js";\nexport { self };',
    });
    expect(findImportProblems(sources, packages)).toEqual([
      {
        kind: "module-cycle",
        files: ["packages/a/src/one.ts", "packages/a/src/three.ts", "packages/a/src/two.ts"],
      },
      { kind: "module-cycle", files: ["packages/a/src/self.ts"] },
    ]);
  });
});

describe("cyclesOf", () => {
  /** A node is in a cycle exactly when it can reach itself; checked against a plain search on random graphs. */
  test("finds exactly the nodes that reach themselves (random graphs)", () => {
    const edge = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }));
    fc.assert(
      fc.property(fc.array(edge, { maxLength: 20 }), (edges) => {
        const graph = new Map<string, Set<string>>();
        for (let n = 0; n < 8; n++) graph.set(`n${n}`, new Set());
        for (const [from, to] of edges) graph.get(`n${from}`)!.add(`n${to}`);
        const reachesItself = (start: string) => {
          const seen = new Set<string>();
          const todo = [...graph.get(start)!];
          while (todo.length > 0) {
            const node = todo.pop()!;
            if (node === start) return true;
            if (seen.has(node)) continue;
            seen.add(node);
            todo.push(...graph.get(node)!);
          }
          return false;
        };
        const inCycles = cyclesOf(graph).flat().sort();
        const expected = [...graph.keys()].filter(reachesItself).sort();
        expect(inCycles).toEqual(expected);
      }),
    );
  });

  test("a chain of 100 000 modules does not overflow the stack", () => {
    const graph = new Map<string, Set<string>>();
    for (let n = 0; n < 100_000; n++) graph.set(`m${n}`, new Set([`m${n + 1}`]));
    graph.set("m100000", new Set(["m0"]));
    expect(cyclesOf(graph)).toHaveLength(1);
  });
});
