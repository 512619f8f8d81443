import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTestModel } from "../src/makeTestModel.js";
import { hasQkNorm, parseModelConfig } from "../src/modelConfig.js";
import { MODEL_PRESETS } from "../src/modelPresets.js";
import { layerWeights } from "../src/modelWeights.js";
import { ReferenceModel } from "../src/referenceModel.js";
import { chainLogits, maxAbsDiff, openChain, releaseAll, tempDir } from "./helpers.js";

const tmp = tempDir("qwen3");
afterAll(() => tmp.cleanup());

const qwen3 = MODEL_PRESETS["qwen3-0.6b"].config;

test("Qwen3-0.6B's config.json: head_dim 128 (not 1024 / 16), no biases, per-head q/k norm weights", () => {
  const config = parseModelConfig(qwen3);
  expect(config).toMatchObject({
    architecture: "Qwen3ForCausalLM",
    headDim: 128,
    numHeads: 16,
    numKvHeads: 8,
    qkvBias: false,
    oBias: false,
    mlpBias: false,
  });
  expect(hasQkNorm(config)).toBe(true);
  const w = layerWeights(config, 3);
  expect(w.q.shape).toEqual([16 * 128, 1024]);
  expect(w.o.shape).toEqual([1024, 16 * 128]);
  expect(w.qNorm).toEqual({ name: "model.layers.3.self_attn.q_norm.weight", shape: [128] });
  expect(w.kNorm).toEqual({ name: "model.layers.3.self_attn.k_norm.weight", shape: [128] });
});

test("Qwen3 with attention_bias has q, k, v and o biases; a sliding window is refused as for Qwen2", () => {
  expect(parseModelConfig({ ...qwen3, attention_bias: true })).toMatchObject({ qkvBias: true, oBias: true });
  expect(() => parseModelConfig({ ...qwen3, use_sliding_window: true, sliding_window: 4096 })).toThrow(
    /sliding-window attention/,
  );
});

test("the other architectures have no q/k norm", () => {
  const qwen2 = parseModelConfig(MODEL_PRESETS["qwen2.5-0.5b"].config);
  expect(hasQkNorm(qwen2)).toBe(false);
  expect(layerWeights(qwen2, 0).qNorm).toBeUndefined();
});

test("the q/k norms matter: the same weights read as Llama (no norms) miss the Qwen3 reference", async () => {
  const dir = join(tmp.path, "qwen3");
  makeTestModel({ dir, architecture: "Qwen3ForCausalLM", seed: 4, numLayers: 2, headDim: 32 });
  const prompt = [3, 14, 15, 92, 65, 35];
  const reference = ReferenceModel.load(dir).forward(prompt).flat();
  const asLlama = join(tmp.path, "as-llama");
  cpSync(dir, asLlama, { recursive: true });
  const config = JSON.parse(readFileSync(join(asLlama, "config.json"), "utf8"));
  writeFileSync(
    join(asLlama, "config.json"),
    JSON.stringify({ ...config, architectures: ["LlamaForCausalLM"] }),
  );
  for (const [model, check] of [
    [dir, (d: number) => expect(d).toBeLessThanOrEqual(1e-4)],
    [asLlama, (d: number) => expect(d).toBeGreaterThan(0.1)],
  ] as const) {
    const shards = await openChain(model, `${model}-shards`, []);
    try {
      check(maxAbsDiff(await chainLogits(shards, "s", prompt), reference));
    } finally {
      await releaseAll(shards);
    }
  }
});
