import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile } from "../src/loadSafetensors.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { loadModelConfig } from "../src/modelConfig.js";
import { MODEL_PRESETS, PRESET_NAMES, type PresetName } from "../src/modelPresets.js";
import { ReferenceModel } from "../src/referenceModel.js";
import type { ShardSession } from "../src/ShardSession.js";
import { maxAbsDiff, openChain, releaseAll, tempDir } from "./helpers.js";

/**
 * The presets' exact shapes (hidden size, heads, KV heads, head_dim, intermediate size, rope theta and scaling,
 * norm eps, tied embeddings) with what is cut for speed on a 2-core machine: 1 layer instead of 16-28, and a
 * vocabulary of 512 (the test tokenizer's ids) instead of 32 000-151 936. Weights are bf16 on disk, widened
 * exactly, so graph and reference see the same values.
 *
 * Bound: these models' dot products run over up to 8192 values (64-128 in the small suites) and their logits reach
 * |77| to |585| (tied embeddings make a token's own logit large); measured max abs differences were 5.9e-5
 * (TinyLlama), 9.4e-5 (Llama 3.2), 6.3e-5 (Qwen2.5) and 7.0e-5 (Qwen3), i.e. 2e-7 to 8e-7 of the largest logit,
 * fp32 rounding. 3e-4 keeps a 3× margin; dropping llama3 scaling (the negative control) moved logits by 0.061,
 * 200× the bound, so the check has more than 100× room to tell a wrong rotation from rounding.
 */
const TOLERANCE = 3e-4;
const LAYERS = 1;
const VOCAB = 512;
const tmp = tempDir("presets");
afterAll(() => tmp.cleanup());

/** Far enough into the context that llama3 scaling changes every low-frequency rotation visibly. */
function startPosition(preset: PresetName): number {
  return Math.min(MODEL_PRESETS[preset].config.max_position_embeddings - 32, 7000);
}

async function chainAt(shards: ShardSession[], ids: number[], positions: number[]): Promise<Float32Array> {
  let hiddenStates: Float32Array | undefined;
  for (const shard of shards) {
    const out = await shard.forward({
      sessionId: "s",
      positionIds: positions,
      ...(shard.isFirst ? { inputIds: ids } : { hiddenStates: hiddenStates! }),
      ...(shard.isLast ? { logits: "all" as const } : {}),
    });
    if (out.logits) return out.logits;
    hiddenStates = out.hiddenStates!;
  }
  throw new Error("chain has no last shard");
}

/** Prefill of 6 tokens then 3 decode steps, all at explicit positions from `start`. */
async function graphLogits(shards: ShardSession[], start: number): Promise<number[]> {
  const out = [
    ...(await chainAt(
      shards,
      [5, 17, 99, 230, 301, 7],
      [0, 1, 2, 3, 4, 5].map((i) => start + i),
    )),
  ];
  for (const [step, token] of [40, 41, 42].entries())
    out.push(...(await chainAt(shards, [token], [start + 6 + step])));
  return out;
}

function referenceLogits(reference: ReferenceModel, start: number): number[] {
  const out = reference
    .forward(
      [5, 17, 99, 230, 301, 7],
      [0, 1, 2, 3, 4, 5].map((i) => start + i),
    )
    .flat();
  for (const [step, token] of [40, 41, 42].entries())
    out.push(...reference.forward([token], [start + 6 + step])[0]!);
  return out;
}

describe.each(PRESET_NAMES)("preset %s", (preset) => {
  const { config } = MODEL_PRESETS[preset];
  const dir = join(tmp.path, preset);
  const start = startPosition(preset);
  let reference: number[];

  beforeAll(() => {
    makeTestModel({ dir, seed: 3, config, numLayers: LAYERS, vocabSize: VOCAB, dtype: "BF16" });
    reference = referenceLogits(ReferenceModel.load(dir), start);
  });

  test("config.json keeps the checkpoint's exact shape but the cut layers and vocabulary", () => {
    expect(loadModelConfig(dir)).toMatchObject({
      hiddenSize: config.hidden_size,
      intermediateSize: config.intermediate_size,
      numHeads: config.num_attention_heads,
      numKvHeads: config.num_key_value_heads,
      maxPositions: config.max_position_embeddings,
      ropeTheta: config.rope_theta,
      tieWordEmbeddings: config.tie_word_embeddings,
      numLayers: LAYERS,
      vocabSize: VOCAB,
    });
  });

  test("the bf16 model's graph equals the TypeScript reference, at positions past 2000", async () => {
    const shards = await openChain(dir, `${dir}-shards`, []);
    try {
      const diff = maxAbsDiff(await graphLogits(shards, start), reference);
      expect(diff).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await releaseAll(shards);
    }
  });

  if (preset !== "llama-3.2-1b") return;
  test("llama3 rope scaling is read, and the same weights without it miss the reference", async () => {
    expect(loadModelConfig(dir).ropeScaling).toEqual({
      type: "llama3",
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 8192,
    });
    const unscaled = `${dir}-unscaled`;
    cpSync(dir, unscaled, { recursive: true });
    const json = JSON.parse(readFileSync(join(unscaled, "config.json"), "utf8"));
    writeFileSync(join(unscaled, "config.json"), JSON.stringify({ ...json, rope_scaling: null }));
    const shards = await openChain(unscaled, `${unscaled}-shards`, []);
    try {
      expect(maxAbsDiff(await graphLogits(shards, start), reference)).toBeGreaterThan(100 * TOLERANCE);
    } finally {
      await releaseAll(shards);
    }
  });
});

test("makeModel.ts writes a preset's config with the requested layers, vocabulary and tokenizer", () => {
  const out = join(tmp.path, "cli-qwen3");
  const args = [
    "--preset",
    "qwen3-0.6b",
    "--layers",
    "1",
    "--vocab",
    "1024",
    "--tokenizer",
    "test",
    "--out",
    out,
  ];
  const run = spawnSync("pnpm", ["exec", "tsx", "packages/inference/scripts/makeModel.ts", ...args], {
    cwd: join(import.meta.dirname, "../../.."),
    encoding: "utf8",
  });
  expect({ status: run.status, stderr: run.status === 0 ? "" : run.stderr }).toEqual({
    status: 0,
    stderr: "",
  });
  expect(run.stdout).toMatch(/peak RSS \d+ MiB/);
  expect(loadModelConfig(out)).toMatchObject({
    architecture: "Qwen3ForCausalLM",
    headDim: 128,
    numLayers: 1,
    vocabSize: 1024,
  });
  expect(JSON.parse(readFileSync(join(out, "generation_config.json"), "utf8")).eos_token_id).toEqual([
    151645, 151643,
  ]);
  const header = SafetensorsFile.open(join(out, "model.safetensors"));
  expect(header.entry("model.layers.0.self_attn.q_norm.weight")).toMatchObject({
    dtype: "BF16",
    shape: [128],
  });
  header.close();
}, 180_000);
