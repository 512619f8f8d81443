import { join } from "node:path";
import { balancedBoundaries } from "../src/balancedBoundaries.js";
import { type MakeTestModelParams, makeTestModel } from "../src/makeTestModel.js";
import { loadModelConfig } from "../src/modelConfig.js";
import { ReferenceModel } from "../src/referenceModel.js";
import { chainLogits, maxAbsDiff, openChain, releaseAll, tempDir } from "./helpers.js";

/** Same fp32 tolerance as the equality suite (see shardEquality.test.ts for the reasoning). */
const TOLERANCE = 1e-4;
const tmp = tempDir("variants");
afterAll(() => tmp.cleanup());

const variants: { name: string; params: Omit<MakeTestModelParams, "dir"> }[] = [
  { name: "Llama 2 style, linear RoPE scaling", params: { ropeScaling: { type: "linear", factor: 4 } } },
  { name: "Llama with attention_bias and mlp_bias", params: { attentionBias: true, mlpBias: true } },
  { name: "Llama with tied embeddings, 6 layers", params: { tieWordEmbeddings: true, numLayers: 6 } },
  {
    name: "Mistral without GQA, rope_theta 1e6",
    params: { architecture: "MistralForCausalLM", numKvHeads: 4, ropeTheta: 1e6 },
  },
  {
    name: "Qwen2 with untied embeddings and GQA",
    params: { architecture: "Qwen2ForCausalLM", tieWordEmbeddings: false },
  },
];

test.each(variants)(
  "$name: 3 shards equal the reference through prefill and 20 decode steps",
  async ({ name, params }) => {
    const modelDir = join(tmp.path, name.replace(/\W+/g, "-"));
    makeTestModel({ dir: modelDir, seed: 31, ...params });
    const reference = ReferenceModel.load(modelDir);
    const shards = await openChain(
      modelDir,
      `${modelDir}-shards`,
      balancedBoundaries(loadModelConfig(modelDir), 3),
    );
    try {
      const prompt = [1, 2, 3, 50, 60, 70, 80];
      expect(
        maxAbsDiff(await chainLogits(shards, "s", prompt), reference.forward(prompt).flat()),
      ).toBeLessThanOrEqual(TOLERANCE);
      for (let step = 0; step < 20; step++) {
        const token = (step * 13 + 7) % 300;
        const diff = maxAbsDiff(await chainLogits(shards, "s", [token]), reference.forward([token])[0]!);
        expect({ step, ok: diff <= TOLERANCE }).toEqual({ step, ok: true });
      }
    } finally {
      await releaseAll(shards);
    }
  },
);

test("balancedBoundaries keeps the embedding-heavy end shards light in layers", () => {
  const dir = join(tmp.path, "balance");
  makeTestModel({ dir, seed: 1, numLayers: 12, vocabSize: 4096 });
  const config = loadModelConfig(dir);
  expect(balancedBoundaries(config, 1)).toEqual([]);
  const boundaries = balancedBoundaries(config, 3);
  expect(boundaries).toHaveLength(2);
  expect(boundaries[0]!).toBeLessThan(4);
  expect(12 - boundaries[1]!).toBeLessThan(4);
  expect(() => balancedBoundaries(config, 13)).toThrow(/shard count 13/);
});
