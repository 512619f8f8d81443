import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTestTokenizer } from "./makeTestTokenizer.js";
import { type Architecture, parseModelConfig } from "./modelConfig.js";
import { globalWeights, layerWeights, type WeightSpec } from "./modelWeights.js";
import { createPrng, normalSampler } from "./prng.js";
import type { SafetensorsDtype } from "./safetensorsHeader.js";
import { type TensorToWrite, writeSafetensors } from "./writeSafetensors.js";

export type MakeTestModelParams = {
  /** Folder to write (created if missing). */
  dir: string;
  architecture?: Architecture;
  /** Same seed, same bytes. */
  seed?: number;
  hiddenSize?: number;
  intermediateSize?: number;
  numLayers?: number;
  numHeads?: number;
  numKvHeads?: number;
  /** At least the tokenizer's size; larger pads the embedding as real checkpoints often do. */
  vocabSize?: number;
  maxPositions?: number;
  ropeTheta?: number;
  /** `rope_scaling` written verbatim into config.json. */
  ropeScaling?: Record<string, unknown> | null;
  tieWordEmbeddings?: boolean;
  /** Llama's `attention_bias` (biases on q, k, v and o) and `mlp_bias`. */
  attentionBias?: boolean;
  mlpBias?: boolean;
  /** Storage dtype of the safetensors (weights are drawn in fp32 and narrowed). */
  dtype?: SafetensorsDtype;
  /** Split the weights over this many safetensors files with a `model.safetensors.index.json`. */
  safetensorsFiles?: number;
};

export type MakeTestModelReturnType = { dir: string; config: Record<string, unknown>; eosTokenId: number };

/**
 * Writes a small model with random weights as a real Hugging Face folder: config.json, safetensors (one file
 * or several with an index), tokenizer.json and tokenizer_config.json with a chat template. Deterministic from
 * the seed. Weight scales keep activations near unit variance so logits spread over several units and greedy
 * decoding is decided by clear margins, not by rounding.
 */
export function makeTestModel(params: MakeTestModelParams): MakeTestModelReturnType {
  const architecture = params.architecture ?? "LlamaForCausalLM";
  const tokenizer = makeTestTokenizer(architecture);
  const config = configJson(params, architecture, tokenizer.vocabSize, tokenizer);
  const normalized = parseModelConfig(config);
  const normal = normalSampler(createPrng(params.seed ?? 1));
  const tensors: TensorToWrite[] = [];
  const add = (spec: WeightSpec | undefined, make: (n: number) => number) => {
    if (!spec || tensors.some((t) => t.name === spec.name)) return;
    const size = spec.shape.reduce((a, b) => a * b, 1);
    tensors.push({
      name: spec.name,
      shape: spec.shape,
      data: Float32Array.from({ length: size }, (_, i) => make(i)),
    });
  };
  const matrix = (spec: WeightSpec | undefined) => add(spec, () => normal() / Math.sqrt(spec!.shape[1]!));
  const norm = (spec: WeightSpec) => add(spec, () => 1 + 0.1 * normal());
  const bias = (spec: WeightSpec | undefined) => add(spec, () => 0.1 * normal());

  const globals = globalWeights(normalized);
  add(globals.embed, () => 0.5 * normal());
  for (let layer = 0; layer < normalized.numLayers; layer++) {
    const w = layerWeights(normalized, layer);
    norm(w.inputNorm);
    for (const m of [w.q, w.k, w.v, w.o]) matrix(m);
    for (const b of [w.qBias, w.kBias, w.vBias, w.oBias]) bias(b);
    norm(w.postNorm);
    for (const m of [w.gate, w.up, w.down]) matrix(m);
    for (const b of [w.gateBias, w.upBias, w.downBias]) bias(b);
  }
  norm(globals.finalNorm);
  add(globals.lmHead, () => 0.5 * normal());

  mkdirSync(params.dir, { recursive: true });
  writeWeights(params.dir, tensors, params.dtype ?? "F32", params.safetensorsFiles ?? 1);
  writeFileSync(join(params.dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(params.dir, "tokenizer.json"), JSON.stringify(tokenizer.tokenizerJson));
  writeFileSync(
    join(params.dir, "tokenizer_config.json"),
    `${JSON.stringify(tokenizer.tokenizerConfig, null, 2)}\n`,
  );
  return { dir: params.dir, config, eosTokenId: tokenizer.eosTokenId };
}

function configJson(
  params: MakeTestModelParams,
  architecture: Architecture,
  tokenizerSize: number,
  tokenizer: { bosTokenId: number | undefined; eosTokenId: number },
): Record<string, unknown> {
  const hiddenSize = params.hiddenSize ?? 64;
  const modelType = { LlamaForCausalLM: "llama", MistralForCausalLM: "mistral", Qwen2ForCausalLM: "qwen2" };
  return {
    architectures: [architecture],
    model_type: modelType[architecture],
    hidden_size: hiddenSize,
    intermediate_size: params.intermediateSize ?? hiddenSize * 2,
    num_hidden_layers: params.numLayers ?? 4,
    num_attention_heads: params.numHeads ?? 4,
    num_key_value_heads: params.numKvHeads ?? 2,
    vocab_size: Math.max(params.vocabSize ?? tokenizerSize, tokenizerSize),
    max_position_embeddings: params.maxPositions ?? 256,
    rms_norm_eps: 1e-5,
    rope_theta: params.ropeTheta ?? 10000,
    rope_scaling: params.ropeScaling ?? null,
    tie_word_embeddings: params.tieWordEmbeddings ?? architecture === "Qwen2ForCausalLM",
    hidden_act: "silu",
    attention_bias: params.attentionBias ?? false,
    mlp_bias: params.mlpBias ?? false,
    bos_token_id: tokenizer.bosTokenId ?? null,
    eos_token_id: tokenizer.eosTokenId,
    torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[params.dtype ?? "F32"],
    ...(architecture === "MistralForCausalLM" ? { sliding_window: null } : {}),
    ...(architecture === "Qwen2ForCausalLM" ? { use_sliding_window: false, sliding_window: 4096 } : {}),
  };
}

/** One file, or `files` contiguous groups named and indexed as `save_pretrained` does for large checkpoints. */
function writeWeights(dir: string, tensors: TensorToWrite[], dtype: SafetensorsDtype, files: number): void {
  if (files <= 1) {
    writeSafetensors(join(dir, "model.safetensors"), tensors, dtype);
    return;
  }
  const weightMap: Record<string, string> = {};
  const perFile = Math.ceil(tensors.length / files);
  let totalSize = 0;
  for (let f = 0; f < files; f++) {
    const name = `model-${String(f + 1).padStart(5, "0")}-of-${String(files).padStart(5, "0")}.safetensors`;
    const group = tensors.slice(f * perFile, (f + 1) * perFile);
    writeSafetensors(join(dir, name), group, dtype);
    for (const t of group) {
      weightMap[t.name] = name;
      totalSize += t.data.length * (dtype === "F32" ? 4 : 2);
    }
  }
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  writeFileSync(join(dir, "model.safetensors.index.json"), `${JSON.stringify(index, null, 2)}\n`);
}
