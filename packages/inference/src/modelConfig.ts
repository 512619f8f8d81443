import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type Architecture, SUPPORTED_ARCHITECTURES } from "./architectures.js";
import { ModelConfigError, UnsupportedModelError } from "./errors.js";

export { type Architecture, SUPPORTED_ARCHITECTURES } from "./architectures.js";

/**
 * RoPE frequency scaling. Only variants that are a fixed function of the head dimension are accepted, because
 * the sharder bakes the inverse frequencies into the graph; "dynamic" depends on the running sequence length.
 */
export type RopeScaling =
  | { type: "none" }
  | { type: "linear"; factor: number }
  | {
      type: "llama3";
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositions: number;
    };

/** The architecture facts the graphs and the reference model need, normalized across Llama, Mistral, Qwen2 and Qwen3. */
export type ModelConfig = {
  architecture: Architecture;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  maxPositions: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  tieWordEmbeddings: boolean;
  /** q, k and v projections carry biases (Qwen2 always; Llama and Qwen3 when `attention_bias`). */
  qkvBias: boolean;
  /** The output projection carries a bias (Llama and Qwen3 with `attention_bias`). */
  oBias: boolean;
  mlpBias: boolean;
};

const positiveInt = z.number().int().positive();

const rawConfigSchema = z.looseObject({
  architectures: z.array(z.string()).min(1),
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.optional(),
  head_dim: positiveInt.nullish(),
  vocab_size: positiveInt,
  max_position_embeddings: positiveInt,
  rms_norm_eps: z.number().positive(),
  rope_theta: z.number().positive().default(10000),
  rope_scaling: z.record(z.string(), z.unknown()).nullish(),
  tie_word_embeddings: z.boolean().default(false),
  attention_bias: z.boolean().default(false),
  mlp_bias: z.boolean().default(false),
  hidden_act: z.string().default("silu"),
  sliding_window: z.number().int().nullish(),
  use_sliding_window: z.boolean().default(false),
});
type RawConfig = z.infer<typeof rawConfigSchema>;

/** Reads and validates `config.json` in a Hugging Face model folder. */
export function loadModelConfig(modelDir: string): ModelConfig {
  let text: string;
  try {
    text = readFileSync(join(modelDir, "config.json"), "utf8");
  } catch (cause) {
    throw new ModelConfigError(`cannot read config.json in ${modelDir}`, {
      cause,
      hint: "Pass the folder of a Hugging Face model download (it holds config.json and *.safetensors).",
    });
  }
  try {
    return parseModelConfig(JSON.parse(text));
  } catch (cause) {
    if (cause instanceof SyntaxError)
      throw new ModelConfigError(`config.json in ${modelDir} is not JSON`, { cause });
    throw cause;
  }
}

/** Normalizes a parsed `config.json`; refuses anything the graphs would compute differently from Transformers. */
export function parseModelConfig(json: unknown): ModelConfig {
  const parsed = rawConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelConfigError(`config.json is invalid: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const raw = parsed.data;
  const architecture = checkArchitecture(raw);
  if (raw.hidden_act !== "silu") {
    throw new UnsupportedModelError(`hidden_act "${raw.hidden_act}" is not supported`, {
      hint: "Llama-family MLPs use SiLU; other activations are not implemented.",
    });
  }
  checkSlidingWindow(raw, architecture);
  const numKvHeads = raw.num_key_value_heads ?? raw.num_attention_heads;
  if (raw.num_attention_heads % numKvHeads !== 0) {
    throw new ModelConfigError(
      `num_attention_heads (${raw.num_attention_heads}) is not a multiple of num_key_value_heads (${numKvHeads})`,
    );
  }
  const headDim = raw.head_dim ?? raw.hidden_size / raw.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new ModelConfigError(`head dimension ${headDim} must be an even integer for rotary embeddings`);
  }
  const qwen2 = architecture === "Qwen2ForCausalLM";
  return {
    architecture,
    hiddenSize: raw.hidden_size,
    intermediateSize: raw.intermediate_size,
    numLayers: raw.num_hidden_layers,
    numHeads: raw.num_attention_heads,
    numKvHeads,
    headDim,
    vocabSize: raw.vocab_size,
    maxPositions: raw.max_position_embeddings,
    rmsNormEps: raw.rms_norm_eps,
    ropeTheta: raw.rope_theta,
    ropeScaling: parseRopeScaling(raw.rope_scaling ?? null),
    tieWordEmbeddings: raw.tie_word_embeddings,
    qkvBias: qwen2 || raw.attention_bias,
    oBias: !qwen2 && raw.attention_bias,
    mlpBias: !isQwen(architecture) && raw.mlp_bias,
  };
}

function isQwen(architecture: Architecture): boolean {
  return architecture === "Qwen2ForCausalLM" || architecture === "Qwen3ForCausalLM";
}

/**
 * Qwen3 normalizes each query and key head (RMSNorm over head_dim, weights `q_norm`/`k_norm`) before RoPE. It
 * follows from the architecture, so it is not a separate field of the config (nor of the manifest).
 */
export function hasQkNorm(config: Pick<ModelConfig, "architecture">): boolean {
  return config.architecture === "Qwen3ForCausalLM";
}

function checkArchitecture(raw: RawConfig): Architecture {
  const name = raw.architectures[0]!;
  if (raw.architectures.length !== 1 || !(SUPPORTED_ARCHITECTURES as readonly string[]).includes(name)) {
    throw new UnsupportedModelError(`architecture ${raw.architectures.join(", ")} is not supported`, {
      hint: `Supported: ${SUPPORTED_ARCHITECTURES.join(", ")}.`,
    });
  }
  return name as Architecture;
}

/** A sliding window narrower than the context changes attention; one as wide as the context changes nothing. */
function checkSlidingWindow(raw: RawConfig, architecture: Architecture): void {
  const windowed = isQwen(architecture)
    ? raw.use_sliding_window
    : raw.sliding_window != null && raw.sliding_window < raw.max_position_embeddings;
  if (windowed) {
    throw new UnsupportedModelError(
      `sliding-window attention (window ${raw.sliding_window}, max positions ${raw.max_position_embeddings}) is not supported`,
      { hint: "Use a checkpoint with sliding_window null or at least max_position_embeddings." },
    );
  }
}

/** Accepts both the old `type` and the current `rope_type` key, as Transformers does. */
export function parseRopeScaling(raw: Record<string, unknown> | null): RopeScaling {
  if (raw === null) return { type: "none" };
  const type = raw["rope_type"] ?? raw["type"];
  const number = (key: string): number => {
    const value = raw[key];
    if (typeof value !== "number" || !(value > 0)) {
      throw new ModelConfigError(
        `rope_scaling.${key} must be a positive number for rope type "${String(type)}"`,
      );
    }
    return value;
  };
  switch (type) {
    case "default":
      return { type: "none" };
    case "linear":
      return { type: "linear", factor: number("factor") };
    case "llama3":
      return {
        type: "llama3",
        factor: number("factor"),
        lowFreqFactor: number("low_freq_factor"),
        highFreqFactor: number("high_freq_factor"),
        originalMaxPositions: number("original_max_position_embeddings"),
      };
    default:
      throw new UnsupportedModelError(`rope scaling type "${String(type)}" is not supported`, {
        hint: 'Supported rope_scaling types: none, "default", "linear", "llama3". "dynamic" NTK depends on the running length and cannot be baked into a graph.',
      });
  }
}
