import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ForwardInputError,
  InferenceError,
  ManifestError,
  ModelConfigError,
  SafetensorsFormatError,
  SequenceTooLongError,
  ShardBoundaryError,
  UnsupportedModelError,
  WeightError,
} from "../src/errors.js";
import { generate } from "../src/generate.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { loadManifest } from "../src/manifest.js";
import { ShardSession } from "../src/ShardSession.js";
import { shardModel } from "../src/shardModel.js";
import { verifyShardFiles } from "../src/verifyShardFiles.js";
import { writeSafetensors } from "../src/writeSafetensors.js";
import { openChain, releaseAll, tempDir } from "./helpers.js";

const tmp = tempDir("bad-input");
const good = join(tmp.path, "good");
let counter = 0;

beforeAll(() => {
  makeTestModel({ dir: good, seed: 8, numLayers: 4, maxPositions: 32 });
});
afterAll(() => tmp.cleanup());

/** A copy of the good model with one change, so each case starts from a model that otherwise shards fine. */
function variant(change: (dir: string) => void): string {
  const dir = join(tmp.path, `variant-${counter++}`);
  cpSync(good, dir, { recursive: true });
  change(dir);
  return dir;
}

function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): void {
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  edit(config);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
}

/** Expects a rejection with an `InferenceError` subclass whose message mentions `text`. */
async function expectError(
  run: () => Promise<unknown>,
  type: new (...args: never[]) => InferenceError,
  text: RegExp,
) {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(InferenceError);
  expect((error as InferenceError).shortMessage).toMatch(text);
}

const shard = (modelDir: string, extra: { boundaries?: number[]; shardCount?: number } = { shardCount: 2 }) =>
  shardModel({ modelDir, outDir: join(tmp.path, `out-${counter++}`), quiet: true, ...extra });

describe("corrupt safetensors", () => {
  const weights = (dir: string) => join(dir, "model.safetensors");

  test("a header length larger than the file", async () => {
    const dir = variant((d) => {
      const bytes = readFileSync(weights(d));
      bytes.writeBigUInt64LE(1n << 40n, 0);
      writeFileSync(weights(d), bytes);
    });
    await expectError(() => shard(dir), SafetensorsFormatError, /header length/);
  });

  test("a header that is not JSON", async () => {
    const dir = variant((d) => {
      const bytes = readFileSync(weights(d));
      bytes.write("#", 8);
      writeFileSync(weights(d), bytes);
    });
    await expectError(() => shard(dir), SafetensorsFormatError, /not valid UTF-8 JSON/);
  });

  test("a truncated data region", async () => {
    const dir = variant((d) => {
      const bytes = readFileSync(weights(d));
      writeFileSync(weights(d), bytes.subarray(0, bytes.length - 100));
    });
    await expectError(() => shard(dir), SafetensorsFormatError, /extends past the end of the file/);
  });

  test("a file too short for the length prefix", async () => {
    const dir = variant((d) => writeFileSync(weights(d), new Uint8Array(3)));
    await expectError(() => shard(dir), SafetensorsFormatError, /too short/);
  });
});

describe("weights that do not match the config", () => {
  test("a missing tensor", async () => {
    const dir = variant((d) => editConfig(d, (c) => (c["num_hidden_layers"] = 5)));
    await expectError(
      () => shard(dir),
      WeightError,
      /"model\.layers\.4\.input_layernorm\.weight" is missing/,
    );
  });

  test("a mis-shaped tensor", async () => {
    const dir = variant((d) => editConfig(d, (c) => (c["intermediate_size"] = 100)));
    await expectError(
      () => shard(dir),
      WeightError,
      /mlp\.gate_proj\.weight" has shape \[128, 64\], expected \[100, 64\]/,
    );
  });

  test("untied embeddings without lm_head.weight", async () => {
    const dir = variant((d) => {
      makeTestModel({ dir: d, seed: 8, tieWordEmbeddings: true });
      editConfig(d, (c) => (c["tie_word_embeddings"] = false));
    });
    await expectError(() => shard(dir), WeightError, /"lm_head\.weight" is missing/);
  });

  test("an unsupported dtype", async () => {
    const dir = variant((d) => {
      rmSync(join(d, "model.safetensors"));
      writeSafetensors(join(d, "model.safetensors"), [{ name: "x", shape: [1], data: new Float32Array(1) }]);
      const bytes = readFileSync(join(d, "model.safetensors"));
      writeFileSync(
        join(d, "model.safetensors"),
        Buffer.from(bytes.toString("latin1").replace('"F32"', '"I32"'), "latin1"),
      );
    });
    await expectError(() => shard(dir), SafetensorsFormatError, /has dtype I32/);
  });
});

describe("unsupported models", () => {
  test.each([
    [{ architectures: ["GPT2LMHeadModel"] }, /architecture GPT2LMHeadModel is not supported/],
    [{ rope_scaling: { rope_type: "dynamic", factor: 2 } }, /rope scaling type "dynamic" is not supported/],
    [{ rope_scaling: { rope_type: "yarn", factor: 2 } }, /rope scaling type "yarn" is not supported/],
    [{ architectures: ["MistralForCausalLM"], sliding_window: 16 }, /sliding-window attention/],
    [{ hidden_act: "gelu" }, /hidden_act "gelu"/],
  ])("config %j", async (change, message) => {
    const dir = variant((d) => editConfig(d, (c) => Object.assign(c, change)));
    await expectError(() => shard(dir), UnsupportedModelError, message);
  });

  test("a config missing required fields", async () => {
    const dir = variant((d) => editConfig(d, (c) => delete c["hidden_size"]));
    await expectError(() => shard(dir), ModelConfigError, /config\.json is invalid/);
  });

  test("a folder without config.json", async () => {
    await expectError(() => shard(join(tmp.path, "nowhere")), ModelConfigError, /cannot read config\.json/);
  });
});

describe("layer boundaries", () => {
  test.each([[[0]], [[4]], [[2, 2]], [[3, 1]], [[1.5]]])("boundaries %j are refused", async (boundaries) => {
    await expectError(() => shard(good, { boundaries }), ShardBoundaryError, /out of range/);
  });

  test.each([0, 5, 2.5])("shard count %p is refused", async (shardCount) => {
    await expectError(() => shard(good, { shardCount }), ShardBoundaryError, /shard count/);
  });

  test("both or neither of boundaries and shardCount", async () => {
    await expectError(
      () => shard(good, { boundaries: [2], shardCount: 2 }),
      ShardBoundaryError,
      /exactly one/,
    );
    await expectError(() => shard(good, {}), ShardBoundaryError, /exactly one/);
  });
});

describe("manifest and shard files", () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = join(tmp.path, "manifest-shards");
    await shardModel({ modelDir: good, outDir, shardCount: 2, quiet: true });
  });
  const copy = () => {
    const dir = join(tmp.path, `manifest-copy-${counter++}`);
    cpSync(outDir, dir, { recursive: true });
    return dir;
  };

  test("a modified weight file fails verification and ShardSession.create", async () => {
    const dir = copy();
    appendFileSync(join(dir, "shard-1.onnx.data"), "x");
    const manifest = await loadManifest(dir);
    await expect(verifyShardFiles(manifest, 0, dir)).resolves.toBe(manifest.shards[0]!.weightsHash);
    await expectError(
      () => verifyShardFiles(manifest, 1, dir),
      ManifestError,
      /shard-1\.onnx\.data does not match/,
    );
    await expectError(() => ShardSession.create({ dir, shardIndex: 1 }), ManifestError, /does not match/);
  });

  test("a missing shard file", async () => {
    const dir = copy();
    rmSync(join(dir, "shard-0.onnx"));
    await expectError(
      async () => verifyShardFiles(await loadManifest(dir), 0, dir),
      ManifestError,
      /cannot be read/,
    );
  });

  test("a manifest whose hash is not the expected model id", async () => {
    const dir = copy();
    const id = `0x${"ab".repeat(32)}`;
    await expectError(
      () => loadManifest(dir, { expectedModelId: id }),
      ManifestError,
      /does not match the expected model id/,
    );
  });

  test("an edited manifest: a changed file hash no longer matches the shard's weightsHash", async () => {
    const dir = copy();
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    manifest.shards[0].files[1].sha256 = "0".repeat(64);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    await expectError(() => loadManifest(dir), ManifestError, /weightsHash does not match/);
  });

  test("a manifest pointing outside the shard folder", async () => {
    const dir = copy();
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    manifest.shards[0].graph = "../elsewhere.onnx";
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    await expectError(() => loadManifest(dir), ManifestError, /manifest\.json is invalid/);
  });

  test("a manifest that is not valid", async () => {
    const dir = copy();
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ format: "other" }));
    await expectError(() => loadManifest(dir), ManifestError, /manifest\.json is invalid/);
  });
});

describe("forward and generate inputs", () => {
  let shards: ShardSession[];
  beforeAll(async () => {
    shards = await openChain(good, join(tmp.path, "forward-shards"), [2]);
  });
  afterAll(() => releaseAll(shards));

  test("a sequence longer than max_position_embeddings", async () => {
    const [first] = shards;
    await expectError(
      () => first!.forward({ sessionId: "long", inputIds: new Array(33).fill(1) }),
      SequenceTooLongError,
      /33 positions exceeds the model's maximum of 32/,
    );
    await first!.forward({ sessionId: "grow", inputIds: new Array(30).fill(1) });
    await expectError(
      () => first!.forward({ sessionId: "grow", inputIds: [1, 2, 3] }),
      SequenceTooLongError,
      /33 positions/,
    );
    expect(first!.cachedLength("grow")).toBe(30);
    await expect(first!.forward({ sessionId: "grow", inputIds: [1, 2] })).resolves.toMatchObject({
      cachedLength: 32,
    });
  });

  test("generate refuses up front when prompt plus max tokens exceed the maximum", async () => {
    await expectError(
      () => generate({ shards, promptIds: new Array(20).fill(1), maxTokens: 14 }),
      SequenceTooLongError,
      /exceeds/,
    );
  });

  test("wrong kinds of input for a shard", async () => {
    const [first, last] = shards;
    await expectError(
      () => first!.forward({ hiddenStates: new Float32Array(64) }),
      ForwardInputError,
      /takes inputIds/,
    );
    await expectError(() => last!.forward({ inputIds: [1] }), ForwardInputError, /takes hiddenStates/);
    await expectError(
      () => last!.forward({ hiddenStates: new Float32Array(65) }),
      ForwardInputError,
      /not a multiple/,
    );
    await expectError(
      () => first!.forward({ inputIds: [100000] }),
      ForwardInputError,
      /outside the vocabulary/,
    );
    await expectError(() => first!.forward({ inputIds: [] }), ForwardInputError, /at least one position/);
    await expectError(
      () => last!.forward({ hiddenStates: new Float32Array(64), logits: [1] }),
      ForwardInputError,
      /logits index 1/,
    );
    await expectError(
      () => first!.forward({ inputIds: [1, 2], positionIds: [0] }),
      ForwardInputError,
      /positionIds has 1 entries/,
    );
  });

  test("concurrent calls on one sequence are refused, other sequences proceed", async () => {
    const [first] = shards;
    const a = first!.forward({ sessionId: "busy", inputIds: [1, 2, 3] });
    await expectError(
      () => first!.forward({ sessionId: "busy", inputIds: [4] }),
      ForwardInputError,
      /in flight/,
    );
    await expect(first!.forward({ sessionId: "other", inputIds: [4] })).resolves.toMatchObject({
      cachedLength: 1,
    });
    await expect(a).resolves.toMatchObject({ cachedLength: 3 });
  });

  test("a shard index the manifest does not have", async () => {
    await expectError(
      () => ShardSession.create({ dir: join(tmp.path, "forward-shards"), shardIndex: 2 }),
      ForwardInputError,
      /shard 2 does not exist/,
    );
  });
});
