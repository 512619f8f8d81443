import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTestModel } from "../src/makeTestModel.js";
import { loadModelConfig } from "../src/modelConfig.js";
import { MODEL_PRESETS, PRESET_NAMES, type PresetName } from "../src/modelPresets.js";
import { ReferenceModel } from "../src/referenceModel.js";
import type { ShardSession } from "../src/ShardSession.js";
import { maxAbsDiff, openChain, releaseAll, tempDir } from "./helpers.js";

/**
 * The presets' exact shapes (hidden size, heads, KV heads, head_dim, intermediate size, rope theta and scaling,
 * norm eps, tied embeddings) with what is cut for speed on a 2-core machine: 2 layers instead of 16-24, and a
 * vocabulary of 512 (the test tokenizer's ids) instead of 32 000-151 936. Weights are bf16 on disk, widened
 * exactly, so graph and reference see the same values.
 *
 * Bound: these rows are dot products of length up to 8192 (vs 64-128 in the small suites) and logits reach
 * |30|; fp32 rounding grows with both, measured at most 6e-5. 2e-4 keeps a 3× margin, and a missing rope scaling
 * (the negative control) moves logits by more than 0.1.
 */
const TOLERANCE = 2e-4;
const LAYERS = 2;
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

  test("2 shards of the bf16 model equal the TypeScript reference, at positions past 2000", async () => {
    const shards = await openChain(dir, `${dir}-shards`, [1]);
    try {
      expect(maxAbsDiff(await graphLogits(shards, start), reference)).toBeLessThanOrEqual(TOLERANCE);
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
      expect(maxAbsDiff(await graphLogits(shards, start), reference)).toBeGreaterThan(0.1);
    } finally {
      await releaseAll(shards);
    }
  });
});

test("makeModel.ts writes a bf16 TinyLlama-shaped layer tensor by tensor: peak RSS well under the file", () => {
  const out = join(tmp.path, "cli-tinyllama");
  const run = spawnSync(
    "pnpm",
    [
      "exec",
      "tsx",
      "packages/inference/scripts/makeModel.ts",
      "--preset",
      "tinyllama-1.1b",
      "--layers",
      "1",
      "--out",
      out,
    ],
    { cwd: join(import.meta.dirname, "../../.."), encoding: "utf8" },
  );
  expect({ status: run.status, stderr: run.status === 0 ? "" : run.stderr }).toEqual({
    status: 0,
    stderr: "",
  });
  const peakMiB = Number(/peak RSS (\d+) MiB/.exec(run.stdout)![1]);
  const fileMiB = statSync(join(out, "model.safetensors")).size / 2 ** 20;
  expect(loadModelConfig(out)).toMatchObject({ hiddenSize: 2048, numLayers: 1, vocabSize: 32000 });
  expect(fileMiB).toBeGreaterThan(330);
  expect(peakMiB).toBeLessThan(0.6 * fileMiB);
}, 180_000);
