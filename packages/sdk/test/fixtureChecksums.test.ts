import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fixturePath, readFixture } from "./fixtures.js";

function sums(folder: string): [string, string][] {
  return readFileSync(fixturePath(`${folder}/SHA256SUMS`), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const [hash, name] = line.trim().split(/\s+/);
      return [name ?? "", hash ?? ""];
    });
}

describe.each(["tdx", "dstack"])("fixtures/%s", (folder) => {
  const entries = sums(folder);

  test("lists every copied file", () => {
    expect(entries.length).toBeGreaterThanOrEqual(2);
  });

  test.each(entries)("%s matches SHA256SUMS", (name, hash) => {
    const actual = createHash("sha256")
      .update(readFixture(`${folder}/${name}`))
      .digest("hex");
    expect(actual).toBe(hash);
  });
});
