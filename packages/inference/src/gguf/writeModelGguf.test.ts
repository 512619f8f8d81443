import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { tempDir } from "../../test/helpers.js";
import { makeTestModel } from "../makeTestModel.js";
import { makeTestTokenizer } from "../makeTestTokenizer.js";
import { WeightStore } from "../openWeights.js";
import { GgufError } from "./ggufError.js";
import { permuteForGgmlRope } from "./permuteForGgmlRope.js";
import { writeModelGguf } from "./writeModelGguf.js";

const dir = tempDir("model-gguf");
afterAll(() => dir.cleanup());

type Meta = Record<string, Record<string, unknown>>;

async function convert(name: string, params: Omit<Parameters<typeof makeTestModel>[0], "dir">, type = "F32") {
  const modelDir = join(dir.path, name);
  makeTestModel({ dir: modelDir, ...params });
  const outPath = join(modelDir, `${type}.gguf`);
  writeModelGguf({ modelDir, outPath, type: type as "F32" });
  const info = await readGgufFileInfo(outPath, { logWarnings: false });
  return { modelDir, outPath, info, meta: info.metadata as unknown as Meta };
}

function tensorData(
  outPath: string,
  info: Awaited<ReturnType<typeof readGgufFileInfo>>,
  name: string,
  count: number,
) {
  const t = info.tensorInfo!.find((x) => x.name === name)!;
  const file = readFileSync(outPath);
  return new Float32Array(file.buffer.slice(file.byteOffset + Number(t.fileOffset)), 0, count);
}

test("a Llama model becomes architecture llama with its hyperparameters and q/k rows permuted", async () => {
  const { modelDir, outPath, info, meta } = await convert("llama", { vocabSize: 400, ropeTheta: 20000 });
  expect(meta["general"]).toMatchObject({ architecture: "llama", file_type: 0 });
  expect(meta["llama"]).toMatchObject({
    context_length: 256,
    embedding_length: 64,
    block_count: 4,
    feed_forward_length: 128,
    attention: { head_count: 4, head_count_kv: 2, layer_norm_rms_epsilon: Math.fround(1e-5) },
    rope: { dimension_count: 16, freq_base: 20000 },
  });
  const store = WeightStore.open(modelDir);
  const q = store.read("model.layers.1.self_attn.q_proj.weight", [64, 64]);
  const k = store.read("model.layers.1.self_attn.k_proj.weight", [32, 64]);
  const v = store.read("model.layers.1.self_attn.v_proj.weight", [32, 64]);
  store.close();
  expect(tensorData(outPath, info, "blk.1.attn_q.weight", q.length)).toEqual(permuteForGgmlRope(q, 64, 4));
  expect(tensorData(outPath, info, "blk.1.attn_k.weight", k.length)).toEqual(permuteForGgmlRope(k, 32, 2));
  expect(tensorData(outPath, info, "blk.1.attn_v.weight", v.length)).toEqual(v);
  expect(info.tensorInfo!.map((t) => t.name)).toContain("output.weight");
  expect(info.tensorInfo).toHaveLength(1 + 4 * 9 + 2);
});

test("a Qwen2 model becomes architecture qwen2 with q/k/v biases, no permutation and a tied head left out", async () => {
  const { modelDir, outPath, info, meta } = await convert("qwen2", { architecture: "Qwen2ForCausalLM" });
  expect(meta["general"]!["architecture"]).toBe("qwen2");
  expect(meta["qwen2"]).toMatchObject({ block_count: 4, attention: { head_count_kv: 2 } });
  const names = info.tensorInfo!.map((t) => t.name);
  expect(names).toEqual(
    expect.arrayContaining(["blk.0.attn_q.bias", "blk.0.attn_k.bias", "blk.0.attn_v.bias"]),
  );
  expect(names).not.toContain("output.weight");
  const store = WeightStore.open(modelDir);
  const q = store.read("model.layers.0.self_attn.q_proj.weight", [64, 64]);
  store.close();
  expect(tensorData(outPath, info, "blk.0.attn_q.weight", q.length)).toEqual(q);
});

test("the vocabulary: the tokenizer's tokens in id order, specials as control tokens, padding as unused", async () => {
  const tokenizer = makeTestTokenizer("LlamaForCausalLM");
  const { meta } = await convert("vocab", { vocabSize: 512 });
  const ggml = (meta["tokenizer"] as Record<string, Record<string, unknown>>)["ggml"]!;
  const tokens = ggml["tokens"] as string[];
  const types = ggml["token_type"] as number[];
  const model = tokenizer.tokenizerJson["model"] as { vocab: Record<string, number>; merges: string[] };
  expect(tokens).toHaveLength(512);
  for (const [text, id] of Object.entries(model.vocab)) expect([tokens[id], types[id]]).toEqual([text, 1]);
  expect(tokens.slice(tokenizer.vocabSize - 3, tokenizer.vocabSize)).toEqual(["<unk>", "<s>", "</s>"]);
  expect(types.slice(tokenizer.vocabSize - 3, tokenizer.vocabSize)).toEqual([3, 3, 3]);
  expect([tokens[511], types[511]]).toEqual(["[PAD511]", 5]);
  expect(ggml).toMatchObject({
    model: "gpt2",
    pre: "gpt-2",
    merges: model.merges,
    bos_token_id: tokenizer.bosTokenId,
    eos_token_id: tokenizer.eosTokenId,
  });
});

test("quantized files keep norms and biases in F32 and every matrix in the asked type", async () => {
  const { info, meta } = await convert("q4", { architecture: "Qwen2ForCausalLM" }, "Q4_0");
  expect(meta["general"]!["file_type"]).toBe(2);
  for (const t of info.tensorInfo!)
    expect([t.name, t.ggmlType]).toEqual([t.name, t.dimensions.length === 1 ? 0 : 2]);
});

test("a hidden size that is not a multiple of 32 cannot be block-quantized", async () => {
  await expect(convert("odd", { hiddenSize: 48, numHeads: 4 }, "Q8_0")).rejects.toThrow(
    /row length 48 is not a multiple of Q8_0's block size 32/,
  );
});

test("rope scaling and tokenizers other than byte-level BPE are refused", async () => {
  const scaled = { rope_type: "linear", factor: 2 };
  await expect(convert("scaled", { ropeScaling: scaled })).rejects.toThrow(GgufError);
  const modelDir = join(dir.path, "wordpiece");
  makeTestModel({ dir: modelDir });
  const json = JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8"));
  writeFileSync(
    join(modelDir, "tokenizer.json"),
    JSON.stringify({ ...json, model: { ...json.model, type: "WordPiece" } }),
  );
  expect(() => writeModelGguf({ modelDir, outPath: join(modelDir, "x.gguf"), type: "F32" })).toThrow(
    /only byte-level BPE maps to llama.cpp's gpt2 vocabulary/,
  );
});
