import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTestTokenizer, type TestTokenizer } from "./makeTestTokenizer.js";
import { type Architecture, parseModelConfig } from "./modelConfig.js";
import { globalWeights, layerWeights, type WeightSpec } from "./modelWeights.js";
import { createPrng, normalSampler } from "./prng.js";
import type { SafetensorsDtype } from "./safetensorsHeader.js";
import { dtypeBytes, type TensorSource, writeSafetensorsStreaming } from "./writeSafetensors.js";

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
  /** `head_dim`, when it should differ from hiddenSize / numHeads (as in Qwen3). */
  headDim?: number;
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
  /**
   * A whole `config.json` to write (e.g. a `MODEL_PRESETS` entry's) instead of one built from the shape fields
   * above; only `numLayers`, `vocabSize` and `dtype` still apply, overriding it.
   */
  config?: Record<string, unknown>;
  /**
   * A folder whose `tokenizer.json` and `tokenizer_config.json` are copied instead of the generated test tokenizer
   * (`vocab_size` is raised to its size if smaller). Without it, the config's bos/eos ids become the test tokenizer's.
   */
  tokenizerDir?: string;
  /** Written verbatim as `generation_config.json`. */
  generationConfig?: Record<string, unknown>;
};

export type MakeTestModelReturnType = { dir: string; config: Record<string, unknown> };

/**
 * Writes a model with random weights (small by default, any config.json on request) as a real Hugging Face folder:
 * config.json, safetensors (one file or several with an index), tokenizer.json and tokenizer_config.json with a
 * chat template, and generation_config.json when given. Deterministic from
 * the seed. Weight scales keep activations near unit variance so logits spread over several units and greedy
 * decoding is decided by clear margins, not by rounding.
 */
export function makeTestModel(params: MakeTestModelParams): MakeTestModelReturnType {
  const architecture =
    (params.config?.["architectures"] as [Architecture] | undefined)?.[0] ??
    params.architecture ??
    "LlamaForCausalLM";
  const tokenizer = params.tokenizerDir ? undefined : makeTestTokenizer(architecture);
  const tokenizerSize = tokenizer?.vocabSize ?? copiedTokenizerSize(params.tokenizerDir!);
  const config = modelConfigJson(params, architecture, tokenizerSize, tokenizer);
  mkdirSync(params.dir, { recursive: true });
  writeWeights(
    params.dir,
    weightSources(config, params.seed ?? 1),
    params.dtype ?? "F32",
    params.safetensorsFiles ?? 1,
  );
  writeFileSync(join(params.dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  if (params.generationConfig) {
    writeFileSync(
      join(params.dir, "generation_config.json"),
      `${JSON.stringify(params.generationConfig, null, 2)}\n`,
    );
  }
  writeTokenizer(params.dir, tokenizer ?? params.tokenizerDir!);
  return { dir: params.dir, config };
}

/** The generated test tokenizer, or a copy of the files in a folder. */
function writeTokenizer(dir: string, tokenizer: TestTokenizer | string): void {
  if (typeof tokenizer === "string") {
    for (const name of ["tokenizer.json", "tokenizer_config.json"]) {
      copyFileSync(join(tokenizer, name), join(dir, name));
    }
    return;
  }
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer.tokenizerJson));
  writeFileSync(
    join(dir, "tokenizer_config.json"),
    `${JSON.stringify(tokenizer.tokenizerConfig, null, 2)}\n`,
  );
}

/**
 * Every weight the config implies, in checkpoint order, each drawn from one seeded normal stream as it is
 * written, so no tensor (let alone the model) is ever held whole in memory.
 */
function weightSources(config: Record<string, unknown>, seed: number): TensorSource[] {
  const normalized = parseModelConfig(config);
  const normal = normalSampler(createPrng(seed));
  const tensors: TensorSource[] = [];
  const add = (spec: WeightSpec | undefined, make: () => number) => {
    if (!spec || tensors.some((t) => t.name === spec.name)) return;
    tensors.push({
      name: spec.name,
      shape: spec.shape,
      fill: (_start, out) => {
        for (let i = 0; i < out.length; i++) out[i] = make();
      },
    });
  };
  const matrix = (spec: WeightSpec | undefined) => {
    if (spec) add(spec, () => normal() / Math.sqrt(spec.shape[1]!));
  };
  const norm = (spec: WeightSpec | undefined) => add(spec, () => 1 + 0.1 * normal());
  const bias = (spec: WeightSpec | undefined) => add(spec, () => 0.1 * normal());

  const globals = globalWeights(normalized);
  add(globals.embed, () => 0.5 * normal());
  for (let layer = 0; layer < normalized.numLayers; layer++) {
    const w = layerWeights(normalized, layer);
    norm(w.inputNorm);
    for (const m of [w.q, w.k, w.v, w.o]) matrix(m);
    for (const b of [w.qBias, w.kBias, w.vBias, w.oBias]) bias(b);
    norm(w.qNorm);
    norm(w.kNorm);
    norm(w.postNorm);
    for (const m of [w.gate, w.up, w.down]) matrix(m);
    for (const b of [w.gateBias, w.upBias, w.downBias]) bias(b);
  }
  norm(globals.finalNorm);
  add(globals.lmHead, () => 0.5 * normal());
  return tensors;
}

/** Ids run from 0 to the largest id in the vocabulary or the added tokens. */
function copiedTokenizerSize(dir: string): number {
  const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")) as {
    model: { vocab: Record<string, number> };
    added_tokens?: { id: number }[];
  };
  const ids = [...Object.values(json.model.vocab), ...(json.added_tokens ?? []).map((t) => t.id)];
  return ids.reduce((max, id) => Math.max(max, id), -1) + 1;
}

/** The given config (with the overrides that still apply) or one built from the shape fields. */
function modelConfigJson(
  params: MakeTestModelParams,
  architecture: Architecture,
  tokenizerSize: number,
  tokenizer: { bosTokenId: number | undefined; eosTokenId: number } | undefined,
): Record<string, unknown> {
  const base = params.config ?? configJson(params, architecture, tokenizerSize);
  const vocabSize = Math.max(params.vocabSize ?? (base["vocab_size"] as number), tokenizerSize);
  return {
    ...base,
    ...(params.numLayers === undefined ? {} : { num_hidden_layers: params.numLayers }),
    vocab_size: vocabSize,
    ...(params.dtype === undefined ? {} : { torch_dtype: TORCH_DTYPES[params.dtype] }),
    ...(tokenizer ? { bos_token_id: tokenizer.bosTokenId ?? null, eos_token_id: tokenizer.eosTokenId } : {}),
  };
}

const TORCH_DTYPES = { F32: "float32", F16: "float16", BF16: "bfloat16" } as const;

function configJson(
  params: MakeTestModelParams,
  architecture: Architecture,
  tokenizerSize: number,
): Record<string, unknown> {
  const hiddenSize = params.hiddenSize ?? 64;
  const modelType = {
    LlamaForCausalLM: "llama",
    MistralForCausalLM: "mistral",
    Qwen2ForCausalLM: "qwen2",
    Qwen3ForCausalLM: "qwen3",
  };
  const qwen = architecture === "Qwen2ForCausalLM" || architecture === "Qwen3ForCausalLM";
  return {
    architectures: [architecture],
    model_type: modelType[architecture],
    hidden_size: hiddenSize,
    intermediate_size: params.intermediateSize ?? hiddenSize * 2,
    num_hidden_layers: params.numLayers ?? 4,
    num_attention_heads: params.numHeads ?? 4,
    num_key_value_heads: params.numKvHeads ?? 2,
    vocab_size: tokenizerSize,
    max_position_embeddings: params.maxPositions ?? 256,
    rms_norm_eps: 1e-5,
    rope_theta: params.ropeTheta ?? 10000,
    rope_scaling: params.ropeScaling ?? null,
    ...(params.headDim === undefined ? {} : { head_dim: params.headDim }),
    tie_word_embeddings: params.tieWordEmbeddings ?? qwen,
    hidden_act: "silu",
    attention_bias: params.attentionBias ?? false,
    mlp_bias: params.mlpBias ?? false,
    torch_dtype: TORCH_DTYPES[params.dtype ?? "F32"],
    ...(architecture === "MistralForCausalLM" ? { sliding_window: null } : {}),
    ...(qwen ? { use_sliding_window: false, sliding_window: 4096 } : {}),
  };
}

/** One file, or `files` contiguous groups named and indexed as `save_pretrained` does for large checkpoints. */
function writeWeights(dir: string, tensors: TensorSource[], dtype: SafetensorsDtype, files: number): void {
  if (files <= 1) {
    writeSafetensorsStreaming(join(dir, "model.safetensors"), tensors, dtype);
    return;
  }
  const weightMap: Record<string, string> = {};
  const perFile = Math.ceil(tensors.length / files);
  let totalSize = 0;
  for (let f = 0; f < files; f++) {
    const name = `model-${String(f + 1).padStart(5, "0")}-of-${String(files).padStart(5, "0")}.safetensors`;
    const group = tensors.slice(f * perFile, (f + 1) * perFile);
    writeSafetensorsStreaming(join(dir, name), group, dtype);
    for (const t of group) {
      weightMap[t.name] = name;
      totalSize += t.shape.reduce((a, b) => a * b, 1) * dtypeBytes(dtype);
    }
  }
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  writeFileSync(join(dir, "model.safetensors.index.json"), `${JSON.stringify(index, null, 2)}\n`);
}
