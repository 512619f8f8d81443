import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareShardedModel, runToExit } from "@teetee/devnet/testing";
import { shardModel } from "@teetee/inference";

const SHAPE = {
  seed: 3,
  hiddenSize: 32,
  intermediateSize: 64,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  maxPositions: 64,
};

describe("start-up checks", () => {
  test("a runner refuses to start on a tampered shard file, naming it", async () => {
    const work = mkdtempSync(join(tmpdir(), "teetee-tamper-"));
    const { shardDir, manifest } = await prepareShardedModel({ dir: work, shardCount: 2, shape: SHAPE });
    const tampered = join(work, "tampered");
    cpSync(shardDir, tampered, { recursive: true });
    const victim = manifest.shards[1]!.files.find((file) => file.path !== manifest.shards[1]!.graph)!;
    const bytes = readFileSync(join(tampered, victim.path));
    bytes[bytes.length - 1]! ^= 0x01;
    writeFileSync(join(tampered, victim.path), bytes);
    const { code, output } = await runToExit([
      "--model-dir",
      tampered,
      "--shard",
      "1",
      "--dstack-endpoint",
      "http://127.0.0.1:9",
    ]);
    expect(code).toBe(1);
    expect(output).toContain(
      `Refusing to start: shard 1 file ${victim.path} does not match the manifest hash`,
    );
  }, 60_000);

  test("a runner refuses a shard whose weights are stored in another format than its manifest declares", async () => {
    const work = mkdtempSync(join(tmpdir(), "teetee-format-"));
    const { modelDir } = await prepareShardedModel({ dir: work, shardCount: 2, shape: SHAPE });
    const shardDir = join(work, "int8");
    await shardModel({ modelDir, outDir: shardDir, shardCount: 2, format: "int8", quiet: true });
    // Only the declaration changes: every file still matches its hash, so only the format check can tell.
    const manifest = JSON.parse(readFileSync(join(shardDir, "manifest.json"), "utf8"));
    manifest.weights = { format: "fp32" };
    writeFileSync(join(shardDir, "manifest.json"), JSON.stringify(manifest));
    const { code, output } = await runToExit([
      "--model-dir",
      shardDir,
      "--shard",
      "1",
      "--dstack-endpoint",
      "http://127.0.0.1:9",
    ]);
    expect(code).toBe(1);
    expect(output).toMatch(
      /Refusing to start: shard 1 stores weight \S+\.q8 \(uint8 [^)]*\), but its manifest declares fp32 weights/,
    );
  }, 60_000);

  test("invalid configuration is refused with the field named", async () => {
    const { code, output } = await runToExit(["--model-dir", "/nonexistent", "--shard", "x"]);
    expect(code).toBe(1);
    expect(output).toMatch(/Invalid runner configuration[\s\S]*shardIndex/);
  }, 60_000);
});
