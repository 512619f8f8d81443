import { readFileSync } from "node:fs";
import { commandPaths, usageOf } from "../src/lib/commandReference.js";
import { repoRoot } from "../src/lib/spawnPackage.js";
import { endMarker, program, readmeFile, startMarker, withReference } from "./readme.js";

/** The part of the README between the markers: the generated command reference. */
function referenceOf(readme: string): string {
  return readme.slice(readme.indexOf(startMarker), readme.indexOf(endMarker));
}

describe("packages/cli/README.md", () => {
  const readme = readFileSync(readmeFile, "utf8");

  test("has a section for every command, with its usage line", () => {
    const root = program();
    const reference = referenceOf(readme);
    const missing = commandPaths(root)
      .map((path) => {
        const command = path.reduce((parent, name) => parent.commands.find((c) => c.name() === name)!, root);
        return usageOf(path, command);
      })
      .filter((usage) => !reference.includes(`\`${usage}\``));
    expect(missing).toEqual([]);
  });

  test("names no path of the machine that generated it (a default under the checkout reads differently on every clone)", () => {
    expect(referenceOf(withReference(readme))).not.toContain(repoRoot);
  });

  test("its command reference is the one the program makes (run packages/cli/scripts/writeReadme.ts)", () => {
    expect(referenceOf(withReference(readme))).toEqual(referenceOf(readme));
  });
});
