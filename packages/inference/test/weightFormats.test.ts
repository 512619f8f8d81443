import { readdirSync } from "node:fs";
import { join } from "node:path";
import {
  bfloat16ToFloat32Array,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToFloat16Array,
} from "../src/float16.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { WeightStore } from "../src/openWeights.js";
import { ReferenceModel } from "../src/referenceModel.js";
import { chainLogits, maxAbsDiff, openChain, releaseAll, tempDir } from "./helpers.js";

const tmp = tempDir("formats");
afterAll(() => tmp.cleanup());

const prompt = [1, 17, 99, 23, 250, 8, 64, 3, 77, 150];

/** Logits of `prompt` through the unsharded ONNX graph of `modelDir`, and its manifest. */
async function onnxLogits(modelDir: string, name: string) {
  const shards = await openChain(modelDir, join(tmp.path, `${name}-shards`), []);
  try {
    return { logits: await chainLogits(shards, "s", prompt), manifest: shards[0]!.manifest };
  } finally {
    await releaseAll(shards);
  }
}

describe("fp16 and bf16 checkpoints", () => {
  const fp32Dir = join(tmp.path, "fp32");
  let fp32: Float32Array;

  beforeAll(async () => {
    makeTestModel({ dir: fp32Dir, seed: 21 });
    fp32 = (await onnxLogits(fp32Dir, "fp32")).logits;
  });

  /**
   * fp16 keeps 11 significant bits (unit roundoff u = 2⁻¹¹ ≈ 4.9e-4), bf16 keeps 8 (u = 2⁻⁸ ≈ 3.9e-3). Every weight
   * moves by up to u relative, and those errors add up through the layers partly independently, so logits move
   * by a small multiple of u times their scale. Measured: 2.7·u·max|logit| (fp16, 0.020) and 3.6·u·max|logit|
   * (bf16, 0.21). The bound is 8·u·max|logit|: above rounding, far below a mis-decoded weight (wrong byte order
   * or exponent bias makes logits garbage).
   */
  test.each([
    { dtype: "F16" as const, u: 2 ** -11 },
    { dtype: "BF16" as const, u: 2 ** -8 },
  ])(
    "$dtype weights give the fp32 logits within 8·u·max|logit|, and exactly the logits of their own values",
    async ({ dtype, u }) => {
      const dir = join(tmp.path, dtype);
      makeTestModel({ dir, seed: 21, dtype });
      const { logits } = await onnxLogits(dir, dtype);
      const diff = maxAbsDiff(logits, fp32);
      expect(diff).toBeGreaterThan(0);
      expect(diff).toBeLessThanOrEqual(8 * u * Math.max(...fp32.map(Math.abs)));
      const reference = ReferenceModel.load(dir).forward(prompt).flat();
      expect(maxAbsDiff(logits, reference)).toBeLessThanOrEqual(1e-4);
    },
  );

  test.each(["F16", "BF16"] as const)("%s tensors widen to exactly the rounded fp32 values", (dtype) => {
    const dir = join(tmp.path, dtype);
    const narrow = WeightStore.open(dir);
    const wide = WeightStore.open(fp32Dir);
    try {
      const name = "model.layers.0.self_attn.q_proj.weight";
      const source = wide.read(name, [64, 64]);
      const rounded =
        dtype === "F16"
          ? float16ToFloat32Array(float32ToFloat16Array(source))
          : bfloat16ToFloat32Array(float32ToBfloat16Array(source));
      expect(narrow.read(name, [64, 64])).toEqual(rounded);
    } finally {
      narrow.close();
      wide.close();
    }
  });
});

test("a checkpoint split over several safetensors files with an index loads to the same shards", async () => {
  const single = join(tmp.path, "single");
  const split = join(tmp.path, "split");
  makeTestModel({ dir: single, seed: 4 });
  makeTestModel({ dir: split, seed: 4, safetensorsFiles: 3 });
  expect(readdirSync(split).filter((f) => f.endsWith(".safetensors"))).toHaveLength(3);
  const a = await onnxLogits(single, "single");
  const b = await onnxLogits(split, "split");
  expect(maxAbsDiff(a.logits, b.logits)).toBe(0);
  expect(b.manifest.shards[0]!.weightsHash).toBe(a.manifest.shards[0]!.weightsHash);
});
