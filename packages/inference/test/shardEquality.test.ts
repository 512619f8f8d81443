import { join } from "node:path";
import { generate } from "../src/generate.js";
import { makeTestModel } from "../src/makeTestModel.js";
import type { Architecture } from "../src/modelConfig.js";
import { createPrng } from "../src/prng.js";
import { ReferenceModel } from "../src/referenceModel.js";
import type { ShardSession } from "../src/ShardSession.js";
import { argmax } from "../src/sample.js";
import { allBoundarySets, chainLogits, maxAbsDiff, openChain, releaseAll, tempDir } from "./helpers.js";

/**
 * Tolerance for fp32 logits, ONNX vs the float64 TypeScript reference (sharded vs unsharded ONNX must be equal bit
 * for bit: a boundary only hands fp32 activations over, and each shard runs the same kernels on the same values).
 * Why 1e-4: the test models' logits reach |15|; fp32 carries ~7 significant digits and each logit is the end of
 * a chain of 4 layers of dot products of length 64–128 plus softmaxes, so rounding moves logits by ~1e-5 (measured:
 * at most 2e-5 against the reference, exactly 0 between shard counts). 1e-4 leaves a 5× margin, while the bugs
 * this guards against (a skipped layer, a wrong position, a lost cache entry) move logits by 0.1 to 10 — the
 * negative controls below measure that.
 */
const TOLERANCE = 1e-4;
const DECODE_STEPS = 64;

type Case = {
  architecture: Architecture;
  numKvHeads: number;
  ropeScaling: Record<string, unknown> | null;
  headDim?: number;
};

/**
 * Each architecture with a different GQA group size; Llama with llama3 RoPE scaling whose three bands all apply;
 * Qwen3 with its per-head q/k RMSNorm and a head_dim (32) that is not hidden / heads (16).
 */
const CASES: Case[] = [
  {
    architecture: "LlamaForCausalLM",
    numKvHeads: 2,
    ropeScaling: {
      rope_type: "llama3",
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 64,
    },
  },
  { architecture: "MistralForCausalLM", numKvHeads: 1, ropeScaling: null },
  { architecture: "Qwen2ForCausalLM", numKvHeads: 4, ropeScaling: null },
  { architecture: "Qwen3ForCausalLM", numKvHeads: 2, ropeScaling: null, headDim: 32 },
];

const tmp = tempDir("equality");
afterAll(() => tmp.cleanup());

/** The prompt whole, the prompt in two chunks (4 + rest) on another sequence, then one decode step per token. */
async function runSchedule(shards: ShardSession[], prompt: number[], continuation: number[]) {
  const prefill = await chainLogits(shards, "whole", prompt);
  const first = await chainLogits(shards, "chunked", prompt.slice(0, 4));
  const second = await chainLogits(shards, "chunked", prompt.slice(4));
  const decode: Float32Array[] = [];
  for (const token of continuation) decode.push(await chainLogits(shards, "chunked", [token]));
  return { prefill, chunked: Float32Array.from([...first, ...second]), decode };
}

describe.each(CASES)("$architecture: sharded logits equal unsharded and reference", (c) => {
  const modelDir = join(tmp.path, c.architecture);
  const random = createPrng(11);
  const prompt = Array.from({ length: 13 }, () => 3 + Math.floor(random.next() * 250));
  const continuation = Array.from({ length: DECODE_STEPS }, () => 3 + Math.floor(random.next() * 250));
  let reference: { prefill: number[]; chunked: number[]; decode: number[][] };
  let unsharded: { prefill: Float32Array; chunked: Float32Array; decode: Float32Array[] };

  beforeAll(async () => {
    makeTestModel({
      dir: modelDir,
      architecture: c.architecture,
      seed: 5,
      numLayers: 4,
      numKvHeads: c.numKvHeads,
      ropeScaling: c.ropeScaling,
      ...(c.headDim === undefined ? {} : { headDim: c.headDim }),
    });
    const ref = ReferenceModel.load(modelDir);
    const prefill = ref.forward(prompt).flat();
    ref.reset();
    const chunked = [...ref.forward(prompt.slice(0, 4)), ...ref.forward(prompt.slice(4))].flat();
    const decode = continuation.map((token) => ref.forward([token])[0]!);
    reference = { prefill, chunked, decode };
    const shards = await openChain(modelDir, join(tmp.path, `${c.architecture}-unsharded`), []);
    unsharded = await runChain(shards);
    await releaseAll(shards);
  });

  const runChain = (shards: ShardSession[]) => runSchedule(shards, prompt, continuation);

  test("the unsharded ONNX model equals the TypeScript reference", () => {
    expect(maxAbsDiff(unsharded.prefill, reference.prefill)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(unsharded.chunked, reference.chunked)).toBeLessThanOrEqual(TOLERANCE);
    expect(
      maxAbsDiff(
        unsharded.decode.flatMap((d) => [...d]),
        reference.decode.flat(),
      ),
    ).toBeLessThanOrEqual(TOLERANCE);
  });

  const splits = allBoundarySets(4)
    .filter((b) => b.length > 0)
    .map((boundaries) => ({ boundaries, shards: boundaries.length + 1, label: JSON.stringify(boundaries) }));
  test.each(splits)(
    "$shards shards, boundaries $label: prefill, chunked prefill, 64 decode steps, bit for bit",
    async ({ boundaries }) => {
      const shards = await openChain(
        modelDir,
        join(tmp.path, `${c.architecture}-${boundaries.join("_")}`),
        boundaries,
      );
      try {
        expect(shards).toHaveLength(boundaries.length + 1);
        const out = await runChain(shards);
        expect(maxAbsDiff(out.prefill, unsharded.prefill)).toBe(0);
        expect(maxAbsDiff(out.prefill, reference.prefill)).toBeLessThanOrEqual(TOLERANCE);
        expect(maxAbsDiff(out.chunked, unsharded.chunked)).toBe(0);
        expect(maxAbsDiff(out.chunked, reference.chunked)).toBeLessThanOrEqual(TOLERANCE);
        out.decode.forEach((logits, step) => {
          expect({ step, diff: maxAbsDiff(logits, unsharded.decode[step]!) }).toEqual({ step, diff: 0 });
          expect({ step, diff: maxAbsDiff(logits, reference.decode[step]!) <= TOLERANCE }).toEqual({
            step,
            diff: true,
          });
        });
        expect(shards.every((s) => s.cachedLength("chunked") === prompt.length + DECODE_STEPS)).toBe(true);
      } finally {
        await releaseAll(shards);
      }
    },
  );
});

/**
 * Quantized shards: no reference computes their logits, so each split is held to the unsharded model of the same
 * format, bit for bit. A shard boundary only hands fp32 activations over unchanged, and every shard runs the same
 * kernels on the same dequantized blocks, so nothing may differ at all.
 */
describe.each(CASES.flatMap((c) => (["int8", "int4"] as const).map((format) => ({ ...c, format }))))(
  "$architecture, $format weights: every split equals the unsharded model bit for bit",
  (c) => {
    const modelDir = join(tmp.path, `${c.architecture}-${c.format}-model`);
    const random = createPrng(12);
    const prompt = Array.from({ length: 13 }, () => 3 + Math.floor(random.next() * 250));
    const continuation = Array.from({ length: DECODE_STEPS }, () => 3 + Math.floor(random.next() * 250));
    const weights = { format: c.format, blockSize: 32 };
    const folder = (boundaries: number[]) =>
      join(tmp.path, `${c.architecture}-${c.format}-${boundaries.join("_") || "whole"}`);
    let unsharded: Awaited<ReturnType<typeof runSchedule>>;

    beforeAll(async () => {
      makeTestModel({
        dir: modelDir,
        architecture: c.architecture,
        seed: 6,
        numLayers: 4,
        numKvHeads: c.numKvHeads,
        ropeScaling: c.ropeScaling,
      });
      const shards = await openChain(modelDir, folder([]), [], weights);
      unsharded = await runSchedule(shards, prompt, continuation);
      await releaseAll(shards);
    });

    test.each(
      allBoundarySets(4)
        .filter((b) => b.length > 0)
        .map((boundaries) => ({ boundaries, label: JSON.stringify(boundaries) })),
    )("boundaries $label: prefill, chunked prefill, 64 decode steps", async ({ boundaries }) => {
      const shards = await openChain(modelDir, folder(boundaries), boundaries, weights);
      try {
        expect(shards.every((s) => s.manifest.weights.format === c.format)).toBe(true);
        const out = await runSchedule(shards, prompt, continuation);
        expect(maxAbsDiff(out.prefill, unsharded.prefill)).toBe(0);
        expect(maxAbsDiff(out.chunked, unsharded.chunked)).toBe(0);
        expect(out.decode.map((logits, step) => maxAbsDiff(logits, unsharded.decode[step]!))).toEqual(
          out.decode.map(() => 0),
        );
      } finally {
        await releaseAll(shards);
      }
    });
  },
);

describe("generation is identical across shard counts", () => {
  const modelDir = join(tmp.path, "generation");
  const prompt = [1, 40, 41, 42, 43, 44, 45];
  const runs = new Map<number, { greedy: number[]; sampled: number[] }>();
  const SAMPLING = { temperature: 0.9, topK: 50, topP: 0.95, seed: 1234 };

  beforeAll(async () => {
    makeTestModel({ dir: modelDir, architecture: "LlamaForCausalLM", seed: 9, numLayers: 4 });
    for (const boundaries of [[], [2], [1, 3], [1, 2, 3]]) {
      const shards = await openChain(
        modelDir,
        join(tmp.path, `generation-${boundaries.length + 1}`),
        boundaries,
      );
      const greedy = await generate({ shards, promptIds: prompt, maxTokens: 64 });
      const sampled = await generate({
        shards,
        promptIds: prompt,
        maxTokens: 64,
        prefillChunk: 3,
        sampling: SAMPLING,
      });
      runs.set(boundaries.length + 1, { greedy: greedy.tokens, sampled: sampled.tokens });
      await releaseAll(shards);
    }
  });

  test("greedy: 64 tokens, the same for 1, 2, 3 and 4 shards and equal to the reference's argmax", () => {
    const ref = ReferenceModel.load(modelDir);
    let logits = ref.forward(prompt).at(-1)!;
    const expected: number[] = [];
    for (let i = 0; i < 64; i++) {
      expected.push(argmax(logits));
      logits = ref.forward([expected.at(-1)!])[0]!;
    }
    for (const count of [1, 2, 3, 4]) expect(runs.get(count)!.greedy).toEqual(expected);
  });

  test("seeded sampling: the same tokens for 1, 2, 3 and 4 shards, and not simply the greedy ones", () => {
    const sampled = runs.get(1)!.sampled;
    expect(sampled).toHaveLength(64);
    for (const count of [2, 3, 4]) expect(runs.get(count)!.sampled).toEqual(sampled);
    expect(sampled).not.toEqual(runs.get(1)!.greedy);
  });

  test("seeded sampling survives a failover: interrupted at token k, a fresh chain replaying prompt + k tokens continues identically", async () => {
    const sampled = runs.get(1)!.sampled;
    const resumed: number[][] = [];
    for (const [boundaries, k] of [
      [[2], 1],
      [[1, 3], 17],
      [[], 40],
      [[1, 2, 3], 63],
    ] as const) {
      // A fresh folder and fresh sessions: nothing of the interrupted chain survives but the tokens it sent.
      const shards = await openChain(modelDir, join(tmp.path, `resume-${k}`), [...boundaries]);
      try {
        const rest = await generate({
          shards,
          promptIds: [...prompt, ...sampled.slice(0, k)],
          maxTokens: 64 - k,
          sampling: SAMPLING,
        });
        resumed.push([...sampled.slice(0, k), ...rest.tokens]);
      } finally {
        await releaseAll(shards);
      }
    }
    for (const tokens of resumed) expect(tokens).toEqual(sampled);
  });

  test("seeded sampling: another seed gives other tokens", async () => {
    const shards = await openChain(modelDir, join(tmp.path, "other-seed"), [2]);
    try {
      const other = await generate({
        shards,
        promptIds: prompt,
        maxTokens: 64,
        sampling: { ...SAMPLING, seed: 1235 },
      });
      expect(other.tokens).not.toEqual(runs.get(1)!.sampled);
    } finally {
      await releaseAll(shards);
    }
  });
});

describe.each(["inPlace", "concat"] as const)(
  "negative controls, %s KV cache: the comparison detects the prototype's bugs",
  (kvCache) => {
    const modelDir = join(tmp.path, `controls-${kvCache}`);
    const prompt = [5, 6, 7, 8, 9, 10];

    test("skipping a shard's layers or reusing position 0 moves logits far beyond the tolerance", async () => {
      makeTestModel({ dir: modelDir, seed: 2, numLayers: 4 });
      const ref = ReferenceModel.load(modelDir);
      const expected = ref.forward(prompt).flat();
      const shards = await openChain(modelDir, join(tmp.path, `controls-shards-${kvCache}`), [1, 3], {
        kvCache,
      });
      try {
        const hidden = (await shards[0]!.forward({ sessionId: "skip", inputIds: prompt })).hiddenStates!;
        const skipped = (await shards[2]!.forward({ sessionId: "skip", hiddenStates: hidden, logits: "all" }))
          .logits!;
        expect(maxAbsDiff(skipped, expected)).toBeGreaterThan(100 * TOLERANCE);

        // Every token at position 0. A sequence's first call on the in-place layout must be consecutive (the
        // kernel reads only its first position id), so there the first token goes alone and the rest follow.
        const calls = kvCache === "inPlace" ? [prompt.slice(0, 1), prompt.slice(1)] : [prompt];
        const noPositions: number[] = [];
        for (const ids of calls) {
          const zeros = ids.map(() => 0);
          let states = (await shards[0]!.forward({ sessionId: "pos", inputIds: ids, positionIds: zeros }))
            .hiddenStates!;
          states = (await shards[1]!.forward({ sessionId: "pos", hiddenStates: states, positionIds: zeros }))
            .hiddenStates!;
          const logits = (
            await shards[2]!.forward({
              sessionId: "pos",
              hiddenStates: states,
              positionIds: zeros,
              logits: "all",
            })
          ).logits!;
          noPositions.push(...logits);
        }
        expect(maxAbsDiff(noPositions, expected)).toBeGreaterThan(100 * TOLERANCE);
      } finally {
        await releaseAll(shards);
      }
    });
  },
);
