import { loadModelConfig, type ModelConfig } from "../modelConfig.js";
import { globalWeights, layerWeights, type WeightSpec } from "../modelWeights.js";
import { WeightStore } from "../openWeights.js";
import { GGUF_FILE_TYPES, type GgmlType } from "./ggmlTypes.js";
import { GgufError } from "./ggufError.js";
import { ggufVocabulary } from "./ggufVocabulary.js";
import { permuteForGgmlRope } from "./permuteForGgmlRope.js";
import { encodeGgml } from "./quantize.js";
import { float32, type GgufTensor, type GgufValue, string, uint32, writeGguf } from "./writeGguf.js";

export type WriteModelGgufParams = {
  /** A Hugging Face model folder (config.json, safetensors, tokenizer.json, tokenizer_config.json). */
  modelDir: string;
  outPath: string;
  /** The type of every matrix, embeddings and LM head included; norms and biases stay F32, as llama.cpp keeps them. */
  type: GgmlType;
};

/**
 * Writes a Llama, Mistral or Qwen2 model as the GGUF file llama.cpp's `convert_hf_to_gguf.py` would produce
 * (architecture `llama` or `qwen2`, ggml tensor names, Llama q/k rows permuted for ggml's rope), reading,
 * converting and writing one tensor at a time. Unlike `llama-quantize`, which keeps some tensors (the output
 * head) at a higher precision, every matrix here gets `type`, so "Q4_0" means the same weights as a TeeTee int4
 * shard with block size 32.
 */
export function writeModelGguf(params: WriteModelGgufParams): void {
  const config = loadModelConfig(params.modelDir);
  const arch = ggufArchitecture(config);
  const store = WeightStore.open(params.modelDir);
  try {
    const metadata = {
      ...modelMetadata(config, arch, params.type),
      ...ggufVocabulary(params.modelDir, config.vocabSize),
    };
    writeGguf(params.outPath, metadata, modelTensors(config, arch, store, params.type));
  } finally {
    store.close();
  }
}

type GgufArchitecture = "llama" | "qwen2";

function ggufArchitecture(config: ModelConfig): GgufArchitecture {
  if (config.ropeScaling.type !== "none") {
    throw new GgufError(`rope scaling "${config.ropeScaling.type}" is not written to GGUF yet`, {
      hint: "Only models without rope_scaling convert.",
    });
  }
  return config.architecture === "Qwen2ForCausalLM" ? "qwen2" : "llama";
}

function modelMetadata(
  config: ModelConfig,
  arch: GgufArchitecture,
  type: GgmlType,
): Record<string, GgufValue> {
  const headDim = config.hiddenSize / config.numHeads === config.headDim ? {} : headLengths(arch, config);
  return {
    "general.architecture": string(arch),
    "general.name": string(`teetee-${arch}`),
    "general.file_type": uint32(GGUF_FILE_TYPES[type]),
    [`${arch}.context_length`]: uint32(config.maxPositions),
    [`${arch}.embedding_length`]: uint32(config.hiddenSize),
    [`${arch}.block_count`]: uint32(config.numLayers),
    [`${arch}.feed_forward_length`]: uint32(config.intermediateSize),
    [`${arch}.attention.head_count`]: uint32(config.numHeads),
    [`${arch}.attention.head_count_kv`]: uint32(config.numKvHeads),
    [`${arch}.rope.dimension_count`]: uint32(config.headDim),
    [`${arch}.rope.freq_base`]: float32(config.ropeTheta),
    [`${arch}.attention.layer_norm_rms_epsilon`]: float32(config.rmsNormEps),
    ...headDim,
  };
}

function headLengths(arch: GgufArchitecture, config: ModelConfig): Record<string, GgufValue> {
  return {
    [`${arch}.attention.key_length`]: uint32(config.headDim),
    [`${arch}.attention.value_length`]: uint32(config.headDim),
  };
}

/** The tensors in llama.cpp's order and naming; a tied LM head is left out, so llama.cpp reuses token_embd. */
function modelTensors(
  config: ModelConfig,
  arch: GgufArchitecture,
  store: WeightStore,
  type: GgmlType,
): GgufTensor[] {
  const tensor = (name: string, spec: WeightSpec | undefined, heads?: number): GgufTensor[] => {
    if (!spec) return [];
    store.check(spec.name, spec.shape);
    const tensorType = spec.shape.length === 1 ? "F32" : type;
    const read = () => {
      const values = store.read(spec.name, spec.shape);
      return heads === undefined ? values : permuteForGgmlRope(values, spec.shape[0]!, heads);
    };
    return [{ name, shape: spec.shape, type: tensorType, data: () => encodeGgml(read(), tensorType) }];
  };
  const globals = globalWeights(config);
  const permute = arch === "llama";
  const out = [...tensor("token_embd.weight", globals.embed)];
  for (let layer = 0; layer < config.numLayers; layer++) {
    const w = layerWeights(config, layer);
    const blk = (name: string, spec: WeightSpec | undefined, heads?: number) =>
      tensor(`blk.${layer}.${name}`, spec, permute ? heads : undefined);
    out.push(
      ...blk("attn_norm.weight", w.inputNorm),
      ...blk("attn_q.weight", w.q, config.numHeads),
      ...blk("attn_q.bias", w.qBias, config.numHeads),
      ...blk("attn_k.weight", w.k, config.numKvHeads),
      ...blk("attn_k.bias", w.kBias, config.numKvHeads),
      ...blk("attn_v.weight", w.v),
      ...blk("attn_v.bias", w.vBias),
      ...blk("attn_output.weight", w.o),
      ...blk("attn_output.bias", w.oBias),
      ...blk("ffn_norm.weight", w.postNorm),
      ...blk("ffn_gate.weight", w.gate),
      ...blk("ffn_gate.bias", w.gateBias),
      ...blk("ffn_up.weight", w.up),
      ...blk("ffn_up.bias", w.upBias),
      ...blk("ffn_down.weight", w.down),
      ...blk("ffn_down.bias", w.downBias),
    );
  }
  out.push(...tensor("output_norm.weight", globals.finalNorm));
  if (!config.tieWordEmbeddings) out.push(...tensor("output.weight", globals.lmHead));
  return out;
}
