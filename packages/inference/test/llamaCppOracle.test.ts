import "./typedArrayRealms.js";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Llama } from "node-llama-cpp";
import { agreement, llamaCppDistributions, randomContexts } from "../scripts/lib/benchQuality.js";
import { greedyTokens, llamaCppGenerate, loadLlamaCpp, openLlamaCpp } from "../scripts/lib/llamaCpp.js";
import { forwardChain, generate } from "../src/generate.js";
import { decodeGgml, encodeGgml } from "../src/gguf/quantize.js";
import { writeModelGguf } from "../src/gguf/writeModelGguf.js";
import { SafetensorsFile } from "../src/loadSafetensors.js";
import { loadTokenizer } from "../src/loadTokenizer.js";
import { type MakeTestModelParams, makeTestModel } from "../src/makeTestModel.js";
import { writeSafetensors } from "../src/writeSafetensors.js";
import { openChain, releaseAll, tempDir } from "./helpers.js";

/**
 * llama.cpp as an oracle: an implementation of these architectures that nobody here wrote. The same random
 * weights, written as F32 GGUF, must give llama.cpp's greedy tokens equal to TeeTee's, token ids in and out (no
 * text, so the tokenizers play no part).
 */
const dir = tempDir("llamacpp-oracle");
const PROMPT = [5, 17, 42, 99, 3, 250, 12, 8, 77, 301];
const NEW_TOKENS = 64;
let llama: Llama;

beforeAll(async () => {
  llama = await loadLlamaCpp();
});
afterAll(async () => {
  await llama.dispose();
  dir.cleanup();
});

/**
 * llama.cpp's F32 log-probabilities differ from the float64 TypeScript reference by up to ~3e-3 on these models
 * (TeeTee's by ~1e-5; measured at the first position, where attention is the identity, so it is not the KV
 * cache), so tokens are only comparable where the greedy choice wins by more than that.
 */
const MIN_MARGIN = 0.01;

/** TeeTee's greedy tokens, and the smallest lead of the chosen logit over the runner-up across those steps. */
async function teeteeTokens(modelDir: string): Promise<{ tokens: number[]; margin: number }> {
  const shards = await openChain(modelDir, join(modelDir, "shards"), []);
  try {
    const { tokens } = await generate({ shards, promptIds: PROMPT, maxTokens: NEW_TOKENS });
    const context = [...PROMPT, ...tokens.slice(0, -1)];
    const logits = await forwardChain(shards, { sessionId: "margins", inputIds: context, logits: "all" });
    const vocab = logits.length / context.length;
    const steps = tokens.map((_, i) =>
      logits.subarray((PROMPT.length - 1 + i) * vocab, (PROMPT.length + i) * vocab),
    );
    return { tokens, margin: Math.min(...steps.map(topMargin)) };
  } finally {
    await releaseAll(shards);
  }
}

function topMargin(row: Float32Array): number {
  const [first, second] = [...row].sort((a, b) => b - a);
  return first! - second!;
}

async function llamaCppTokens(modelDir: string): Promise<number[]> {
  const outPath = join(modelDir, "model-f32.gguf");
  writeModelGguf({ modelDir, outPath, type: "F32" });
  const session = await openLlamaCpp(llama, outPath, { threads: 1, contextSize: 128, kvCache: "F32" });
  try {
    return await llamaCppGenerate(session.sequence, PROMPT, NEW_TOKENS);
  } finally {
    await session.dispose();
  }
}

const shapes: [string, Omit<MakeTestModelParams, "dir">][] = [
  ["Llama, grouped-query attention", { architecture: "LlamaForCausalLM", seed: 11 }],
  ["Mistral, one KV head", { architecture: "MistralForCausalLM", seed: 12, numKvHeads: 1, ropeTheta: 1e6 }],
  ["Qwen2, q/k/v biases", { architecture: "Qwen2ForCausalLM", seed: 15, tieWordEmbeddings: false }],
  ["Qwen2, tied embeddings", { architecture: "Qwen2ForCausalLM", seed: 14, numKvHeads: 4 }],
];

test.each(shapes)("%s: llama.cpp's 64 greedy tokens at F32 equal TeeTee's", async (name, shape) => {
  const modelDir = join(dir.path, name.replace(/\W+/g, "-"));
  makeTestModel({ dir: modelDir, ...shape });
  const { tokens, margin } = await teeteeTokens(modelDir);
  expect(margin).toBeGreaterThan(MIN_MARGIN);
  expect(await llamaCppTokens(modelDir)).toEqual(tokens);
  expect(tokens).toHaveLength(NEW_TOKENS);
});

test("the oracle notices a wrong rope base: the same weights with rope_theta 10x give other tokens", async () => {
  const modelDir = join(dir.path, "rope-base");
  makeTestModel({ dir: modelDir, architecture: "LlamaForCausalLM", seed: 11 });
  const { tokens: expected } = await teeteeTokens(modelDir);
  const configPath = join(modelDir, "config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  writeFileSync(configPath, JSON.stringify({ ...config, rope_theta: config.rope_theta * 10 }));
  const actual = await llamaCppTokens(modelDir);
  expect(actual).toHaveLength(NEW_TOKENS);
  expect(actual).not.toEqual(expected);
});

test("greedy decoding continues past end-of-generation tokens, as TeeTee's does without stop tokens", async () => {
  const modelDir = join(dir.path, "eog");
  makeTestModel({ dir: modelDir, seed: 11 });
  const eosTokenId = loadTokenizer(modelDir).stopTokenIds[0]!;
  const outPath = join(modelDir, "model-f32.gguf");
  writeModelGguf({ modelDir, outPath, type: "F32" });
  const session = await openLlamaCpp(llama, outPath, { threads: 1, contextSize: 64 });
  try {
    const tokens = greedyTokens(session.sequence, [eosTokenId]);
    const first = await tokens.next();
    expect(first.done).toBe(false);
    expect((await tokens.next(eosTokenId)).done).toBe(false);
    await tokens.return();
  } finally {
    await session.dispose();
  }
});

/** A copy of a model folder whose matrices hold what `type`'s blocks decode to (norms and biases unchanged). */
function withDecodedMatrices(modelDir: string, outDir: string, type: "Q8_0" | "Q4_0"): void {
  mkdirSync(outDir, { recursive: true });
  for (const name of ["config.json", "tokenizer.json", "tokenizer_config.json"])
    copyFileSync(join(modelDir, name), join(outDir, name));
  const file = SafetensorsFile.open(join(modelDir, "model.safetensors"));
  const tensors = [...file.header.tensors].map(([name, { shape }]) => {
    const data = file.readFloat32(name);
    return {
      name,
      shape,
      data: shape.length === 2 ? decodeGgml(encodeGgml(data, type), type, data.length) : data,
    };
  });
  file.close();
  writeSafetensors(join(outDir, "model.safetensors"), tensors);
}

async function distributions(modelPath: string, contexts: number[][], vocabSize: number) {
  const session = await openLlamaCpp(llama, modelPath, { threads: 1, contextSize: 128, kvCache: "F32" });
  try {
    const rows = [];
    for (const context of contexts)
      rows.push(...(await llamaCppDistributions(session.sequence, context, vocabSize)));
    return rows;
  } finally {
    await session.dispose();
  }
}

test.each(["Q8_0", "Q4_0"] as const)(
  "llama.cpp reads %s blocks as decodeGgml does: it computes as on F32 weights holding the decoded values",
  async (type) => {
    const modelDir = join(dir.path, `blocks-${type}`);
    const { config } = makeTestModel({ dir: modelDir, seed: 11 });
    const decodedDir = join(dir.path, `blocks-${type}-decoded`);
    withDecodedMatrices(modelDir, decodedDir, type);
    writeModelGguf({ modelDir, outPath: join(modelDir, "q.gguf"), type });
    writeModelGguf({ modelDir, outPath: join(modelDir, "f32.gguf"), type: "F32" });
    writeModelGguf({ modelDir: decodedDir, outPath: join(decodedDir, "f32.gguf"), type: "F32" });
    const vocabSize = config["vocab_size"] as number;
    const contexts = randomContexts(3, 2, 32, vocabSize);
    const quantized = await distributions(join(modelDir, "q.gguf"), contexts, vocabSize);
    const decoded = agreement(
      await distributions(join(decodedDir, "f32.gguf"), contexts, vocabSize),
      quantized,
    );
    const original = agreement(
      await distributions(join(modelDir, "f32.gguf"), contexts, vocabSize),
      quantized,
    );
    // What is left is llama.cpp rounding activations to 8 bits for its quantized dot products (~2e-3 here).
    expect(decoded.meanKl).toBeLessThan(5e-3);
    expect(decoded.meanKl).toBeLessThan(original.meanKl);
  },
);
