import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareLogits } from "../src/compareLogits.js";
import { type InferenceError, ManifestError, WeightFormatError } from "../src/errors.js";
import { SafetensorsFile } from "../src/loadSafetensors.js";
import { makeTestModel } from "../src/makeTestModel.js";
import {
  describeFile,
  loadManifest,
  MANIFEST_FILE,
  type Manifest,
  modelIdOf,
  weightsHashOf,
} from "../src/manifest.js";
import { loadModelConfig } from "../src/modelConfig.js";
import { globalWeights, layerWeights, type WeightSpec } from "../src/modelWeights.js";
import { onnx } from "../src/onnxGraph.js";
import { WeightStore } from "../src/openWeights.js";
import { createPrng } from "../src/prng.js";
import { dequantize, type QuantizedSpec, quantize } from "../src/quantize.js";
import { shardModel } from "../src/shardModel.js";
import { verifyShardFiles } from "../src/verifyShardFiles.js";
import { type TensorToWrite, writeSafetensors } from "../src/writeSafetensors.js";
import { chainLogits, maxAbsDiff, openChain, releaseAll, tempDir } from "./helpers.js";

const tmp = tempDir("quantized");
afterAll(() => tmp.cleanup());
let counter = 0;
const outDir = (label: string) => join(tmp.path, `${label}-${counter++}`);

/** The matrices a quantized shard stores quantized: every projection, the embedding and the LM head. */
function quantizedMatrices(modelDir: string): WeightSpec[] {
  const config = loadModelConfig(modelDir);
  const specs: WeightSpec[] = [globalWeights(config).embed, globalWeights(config).lmHead];
  for (let layer = 0; layer < config.numLayers; layer++) {
    const w = layerWeights(config, layer);
    specs.push(w.q, w.k, w.v, w.o, w.gate, w.up, w.down);
  }
  return specs.filter((s, i) => specs.findIndex((t) => t.name === s.name) === i);
}

/** A copy of `modelDir` whose matrices are replaced by `dequantize(quantize(w))`, still fp32. */
function dequantizedCopy(modelDir: string, spec: QuantizedSpec): string {
  const dir = outDir(`dequantized-${spec.format}`);
  cpSync(modelDir, dir, { recursive: true });
  const store = WeightStore.open(modelDir);
  try {
    const matrices = new Set(quantizedMatrices(modelDir).map((s) => s.name));
    const file = SafetensorsFile.open(join(modelDir, "model.safetensors"));
    const entries = [...file.header.tensors].map(([name, entry]) => [name, entry.shape] as const);
    file.close();
    const tensors: TensorToWrite[] = entries.map(([name, shape]) => {
      const values = store.read(name, shape);
      const data = matrices.has(name)
        ? dequantize(quantize(values, shape[0]!, shape[1]!, spec))
        : Float32Array.from(values);
      return { name, shape, data };
    });
    writeSafetensors(join(dir, "model.safetensors"), tensors);
  } finally {
    store.close();
  }
  return dir;
}

/** Random token contexts (ids past the special tokens), the same for every format. */
function contexts(count: number, length: number): number[][] {
  const random = createPrng(77);
  return Array.from({ length: count }, () =>
    Array.from({ length }, () => 3 + Math.floor(random.next() * 250)),
  );
}

async function logitsOf(modelDir: string, weights: { format?: string; blockSize?: number }, label: string) {
  const shards = await openChain(modelDir, outDir(label), [2], weights);
  try {
    const rows: number[] = [];
    for (const [i, ids] of contexts(8, 24).entries()) rows.push(...(await chainLogits(shards, `c${i}`, ids)));
    return { logits: Float32Array.from(rows), vocab: shards[0]!.manifest.config.vocabSize };
  } finally {
    await releaseAll(shards);
  }
}

describe("quantized shards against fp32", () => {
  const modelDir = join(tmp.path, "model");
  let fp32: Float32Array;
  let vocab: number;

  beforeAll(async () => {
    makeTestModel({ dir: modelDir, seed: 31, numLayers: 4, tieWordEmbeddings: false });
    ({ logits: fp32, vocab } = await logitsOf(modelDir, {}, "fp32"));
  });

  /**
   * The shard computes the fp32 model of its dequantized weights up to the int8 rounding of activations that
   * `MatMulNBits` applies at accuracy level 4 (bounded per operator in quantize.test.ts). Measured: mean KL from
   * the dequantized model 1.6e-3 (int8) and 1.8e-3 (int4), top-1 95.3% for both; from fp32 (next test) 3.5e-3 and
   * 0.52: at 4 bits the weights, not the activations, make the error. The bounds are ~3x the measurements.
   */
  test.each([
    { format: "int8" as const, meanKl: 0.005, top1: 0.9 },
    { format: "int4" as const, meanKl: 0.005, top1: 0.9 },
  ])(
    "$format: logits follow fp32 shards of the dequantized weights (KL <= $meanKl, top-1 >= $top1)",
    async (bound) => {
      const spec = { format: bound.format, blockSize: 32 };
      const quantized = await logitsOf(modelDir, spec, bound.format);
      const reconstructed = await logitsOf(
        dequantizedCopy(modelDir, spec),
        {},
        `${bound.format}-reconstructed`,
      );
      const agreement = compareLogits(reconstructed.logits, quantized.logits, vocab);
      expect(agreement.meanKl).toBeLessThanOrEqual(bound.meanKl);
      expect(agreement.top1).toBeGreaterThanOrEqual(bound.top1);
      expect(maxAbsDiff(quantized.logits, fp32)).toBeGreaterThan(1e-3);
    },
  );

  /**
   * On 8 random contexts of 24 tokens (192 positions; logits spread with σ ≈ 4 over 379 tokens), measured: int8
   * max |Δ| 0.57, mean KL 0.0035 nats, top-1 94.3%; int4 max |Δ| 10.8, mean KL 0.52, top-1 54.2%. The test models
   * are a hard case: i.i.d. Gaussian weights leave no redundancy, hidden size 64 averages little error out, and the
   * top two logits are often within one unit. The bounds leave ~2.5x margin. The negative control below, a model
   * of the same shape with other weights, measures what a wrong scale or zero point would look like.
   */
  test.each([
    { format: "int8", maxDiff: 1.5, meanKl: 0.01, top1: 0.85 },
    { format: "int4", maxDiff: 25, meanKl: 1.5, top1: 0.35 },
  ])("$format logits stay within $maxDiff of fp32, mean KL <= $meanKl, top-1 >= $top1", async (bound) => {
    const { logits } = await logitsOf(modelDir, { format: bound.format, blockSize: 32 }, bound.format);
    const agreement = compareLogits(fp32, logits, vocab);
    expect(agreement.positions).toBe(8 * 24);
    expect(agreement.maxAbsDiff).toBeGreaterThan(0);
    expect(agreement.maxAbsDiff).toBeLessThanOrEqual(bound.maxDiff);
    expect(agreement.meanKl).toBeLessThanOrEqual(bound.meanKl);
    expect(agreement.top1).toBeGreaterThanOrEqual(bound.top1);
  });

  test("negative control: another model's logits are far outside those bounds", async () => {
    const otherDir = join(tmp.path, "other");
    makeTestModel({ dir: otherDir, seed: 35, numLayers: 4, tieWordEmbeddings: false });
    const other = compareLogits(fp32, (await logitsOf(otherDir, {}, "other")).logits, vocab);
    expect(other.meanKl).toBeGreaterThan(5 * 1.5);
    expect(other.top1).toBeLessThan(0.35 / 3);
  });

  test("the shard's data file holds exactly the quantizer's bytes, from an fp32 or a bf16 checkpoint", async () => {
    const bf16Dir = join(tmp.path, "model-bf16");
    makeTestModel({ dir: bf16Dir, seed: 31, numLayers: 4, tieWordEmbeddings: false, dtype: "BF16" });
    for (const dir of [modelDir, bf16Dir]) {
      const out = outDir("bytes");
      await shardModel({ modelDir: dir, outDir: out, shardCount: 1, format: "int4", quiet: true });
      const graph = onnx.ModelProto.decode(readFileSync(join(out, "shard-0.onnx"))).graph!;
      const data = readFileSync(join(out, "shard-0.onnx.data"));
      const bytesOf = (name: string) => {
        const t = graph.initializer!.find((i) => i.name === name)!;
        const at = (key: string) => Number(t.externalData!.find((e) => e.key === key)!.value);
        return new Uint8Array(data.subarray(at("offset"), at("offset") + at("length")));
      };
      const store = WeightStore.open(dir);
      const name = "model.layers.1.mlp.down_proj.weight";
      const q = quantize(store.read(name, [64, 128]), 64, 128, { format: "int4", blockSize: 32 });
      store.close();
      expect(bytesOf(`${name}.q4`)).toEqual(q.data);
      expect(bytesOf(`${name}.scales`)).toEqual(new Uint8Array(q.scales.buffer));
      expect(bytesOf(`${name}.zero_points`)).toEqual(q.zeroPoints);
    }
  });

  test("the manifest records the format, so the same weights in another format have another model id", async () => {
    const ids = new Set<string>();
    for (const weights of [{}, { format: "int8" }, { format: "int4" }, { format: "int4", blockSize: 16 }]) {
      const { manifest, modelId } = await shardModel({
        modelDir,
        outDir: outDir("id"),
        shardCount: 2,
        quiet: true,
        ...weights,
      });
      expect(modelIdOf(manifest)).toBe(modelId);
      ids.add(modelId);
    }
    expect(ids.size).toBe(4);
    const { manifest } = await shardModel({
      modelDir,
      outDir: outDir("id"),
      shardCount: 1,
      format: "int4",
      quiet: true,
    });
    expect(manifest.weights).toEqual({ format: "int4", blockSize: 32 });
  });

  test("a tied embedding is stored once and read by both GatherBlockQuantized and the LM head", async () => {
    const tiedDir = join(tmp.path, "tied");
    makeTestModel({ dir: tiedDir, seed: 32, tieWordEmbeddings: true });
    const out = outDir("tied");
    const { manifest } = await shardModel({
      modelDir: tiedDir,
      outDir: out,
      shardCount: 1,
      format: "int4",
      quiet: true,
    });
    const graph = onnx.ModelProto.decode(readFileSync(join(out, "shard-0.onnx"))).graph!;
    const offset = (name: string) =>
      graph.initializer!.find((i) => i.name === name)!.externalData!.find((e) => e.key === "offset")!.value;
    expect(offset("model.embed_tokens.weight.q4")).toBe(offset("model.embed_tokens.weight.gather.q4"));
    const shards = await openChain(tiedDir, outDir("tied-chain"), [], { format: "int4" });
    try {
      expect(manifest.config.tieWordEmbeddings).toBe(true);
      expect((await chainLogits(shards, "s", [5, 6, 7])).length).toBe(3 * manifest.config.vocabSize);
    } finally {
      await releaseAll(shards);
    }
  });
});

describe("bad input", () => {
  const modelDir = join(tmp.path, "bad-model");
  beforeAll(() => makeTestModel({ dir: modelDir, seed: 33, numLayers: 2 }));

  async function expectError(run: () => Promise<unknown>, type: typeof InferenceError, text: RegExp) {
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect((error as InferenceError).shortMessage).toMatch(text);
  }

  /** Rewrites the manifest with `edit` applied and every file's hash recomputed, as a careless curator might. */
  async function rewriteManifest(dir: string, edit: (m: Manifest) => void): Promise<Manifest> {
    const manifest = await loadManifest(dir);
    edit(manifest);
    for (const shard of manifest.shards) {
      shard.files = await Promise.all(shard.files.map((f) => describeFile(dir, f.path)));
      shard.weightsHash = weightsHashOf(shard.files);
    }
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
    return loadManifest(dir);
  }

  const shard = (weights: { format?: string; blockSize?: number }) => {
    const dir = outDir("bad");
    return shardModel({ modelDir, outDir: dir, shardCount: 2, quiet: true, ...weights }).then(() => dir);
  };

  test("an unknown format", async () => {
    await expectError(() => shard({ format: "int3" }), WeightFormatError, /unknown weight format "int3"/);
  });

  test("a block size that does not divide the hidden size", async () => {
    await expectError(
      () => shard({ format: "int4", blockSize: 128 }),
      WeightFormatError,
      /block size 128 does not divide the input dimension 64 of model\.embed_tokens\.weight/,
    );
  });

  test("a manifest whose format is unknown", async () => {
    const dir = await shard({ format: "int8" });
    const raw = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8"));
    raw.weights = { format: "int3", blockSize: 32 };
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(raw));
    await expectError(() => loadManifest(dir), ManifestError, /weights\.format/);
  });

  test("a manifest that declares another block size than the files hold", async () => {
    const dir = await shard({ format: "int4", blockSize: 32 });
    const manifest = await rewriteManifest(dir, (m) => {
      m.weights = { format: "int4", blockSize: 16 };
    });
    await expectError(
      () => verifyShardFiles(manifest, 0, dir),
      WeightFormatError,
      /shard 0 stores weight model\.embed_tokens\.weight\.gather\.scales as float32 \[\d+, 2\], not float32 \[\d+, 4\], but its manifest declares int4 weights in blocks of 16/,
    );
  });

  test("scales that disagree with the manifest's block size", async () => {
    const dir = await shard({ format: "int4", blockSize: 32 });
    const path = join(dir, "shard-1.onnx");
    const model = onnx.ModelProto.decode(readFileSync(path));
    const scales = model.graph!.initializer!.find(
      (t) => t.name === "model.layers.1.mlp.down_proj.weight.scales",
    )!;
    scales.dims = [Number(scales.dims![0]) * 2];
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
    const manifest = await rewriteManifest(dir, () => {});
    await expectError(
      () => verifyShardFiles(manifest, 1, dir),
      WeightFormatError,
      /stores weight model\.layers\.1\.mlp\.down_proj\.weight\.scales as float32 \[512\], not float32 \[256\]/,
    );
  });

  test("a MatMulNBits block size that disagrees with the manifest's, though every initializer fits", async () => {
    const dir = await shard({ format: "int8", blockSize: 32 });
    const path = join(dir, "shard-1.onnx");
    const model = onnx.ModelProto.decode(readFileSync(path));
    const node = model.graph!.node!.find((n) => n.opType === "MatMulNBits")!;
    node.attribute!.find((a) => a.name === "block_size")!.i = 16;
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
    const manifest = await rewriteManifest(dir, () => {});
    await expectError(
      () => verifyShardFiles(manifest, 1, dir),
      WeightFormatError,
      /runs MatMulNBits\(\S+\.q8\) .*block_size=16.* where MatMulNBits\(\S+\.q8\) .*block_size=32.* belongs/,
    );
  });

  test("quantized files under a manifest that declares fp32", async () => {
    const dir = await shard({ format: "int8" });
    const manifest = await rewriteManifest(dir, (m) => {
      m.weights = { format: "fp32" };
    });
    await expectError(
      () => verifyShardFiles(manifest, 1, dir),
      WeightFormatError,
      /shard 1 stores weight .*\.q8 \(uint8 .*\), but its manifest declares fp32 weights/,
    );
  });
});
