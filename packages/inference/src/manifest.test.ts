import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestModel } from "./makeTestModel.js";
import { canonicalJson, loadManifest, modelIdOf, weightsHashOf } from "./manifest.js";
import { layerRanges, shardModel } from "./shardModel.js";

const dir = mkdtempSync(join(tmpdir(), "teetee-manifest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("canonicalJson sorts keys at every level and drops whitespace", () => {
  expect(canonicalJson({ b: 1, a: [{ d: "x", c: null }, 2.5], é: true })).toBe(
    '{"a":[{"c":null,"d":"x"},2.5],"b":1,"é":true}',
  );
});

test("layerRanges splits evenly (earlier shards take the remainder) or at the given boundaries", () => {
  expect(layerRanges(22, { shardCount: 4 })).toEqual([
    [0, 6],
    [6, 12],
    [12, 17],
    [17, 22],
  ]);
  expect(layerRanges(4, { shardCount: 1 })).toEqual([[0, 4]]);
  expect(layerRanges(4, { boundaries: [1, 3] })).toEqual([
    [0, 1],
    [1, 3],
    [3, 4],
  ]);
});

describe("a sharded model's manifest", () => {
  const modelDir = join(dir, "model");
  const outDir = join(dir, "shards");
  let result: Awaited<ReturnType<typeof shardModel>>;
  beforeAll(async () => {
    makeTestModel({ dir: modelDir, seed: 3, numLayers: 4 });
    result = await shardModel({ modelDir, outDir, boundaries: [1], quiet: true });
  });

  test("the model id is the SHA-256 of the canonical manifest, and reading the file back gives the same id", async () => {
    const { manifest, modelId } = result;
    expect(modelId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(modelId).toBe(`0x${createHash("sha256").update(canonicalJson(manifest)).digest("hex")}`);
    expect(modelIdOf(await loadManifest(outDir, { expectedModelId: modelId }))).toBe(modelId);
  });

  test("it records layer ranges, hidden size, the tokenizer hash and every file's SHA-256", () => {
    const { manifest } = result;
    expect(manifest.shards.map((s) => [s.layerStart, s.layerEnd])).toEqual([
      [0, 1],
      [1, 4],
    ]);
    expect(manifest.hiddenSize).toBe(64);
    expect(manifest.tokenizer.sha256).toBe(
      createHash("sha256")
        .update(readFileSync(join(outDir, "tokenizer.json")))
        .digest("hex"),
    );
    for (const file of manifest.shards.flatMap((s) => s.files)) {
      expect(file.sha256).toBe(
        createHash("sha256")
          .update(readFileSync(join(outDir, file.path)))
          .digest("hex"),
      );
    }
  });

  test("weightsHash is what `sha256sum <files> | sha256sum` prints", () => {
    for (const shard of result.manifest.shards) {
      const paths = shard.files.map((f) => f.path).sort();
      const listing = execFileSync("sha256sum", paths, { cwd: outDir });
      const hash = createHash("sha256").update(listing).digest("hex");
      expect(shard.weightsHash).toBe(`0x${hash}`);
      expect(weightsHashOf(shard.files)).toBe(shard.weightsHash);
    }
  });

  test("sharding is deterministic: the same model and boundaries give the same id", async () => {
    const again = await shardModel({ modelDir, outDir: join(dir, "again"), boundaries: [1], quiet: true });
    expect(again.modelId).toBe(result.modelId);
    const other = await shardModel({ modelDir, outDir: join(dir, "other"), boundaries: [2], quiet: true });
    expect(other.modelId).not.toBe(result.modelId);
  });
});
