import { hasQkNorm, type ModelConfig } from "./modelConfig.js";

/** A weight's Hugging Face name and the shape the config implies for it. */
export type WeightSpec = { name: string; shape: number[] };

/** The weights of decoder layer `layer`, in Transformers' naming, shared by Llama, Mistral, Qwen2 and Qwen3. */
export function layerWeights(config: ModelConfig, layer: number) {
  const { hiddenSize: h, intermediateSize: i, numHeads, numKvHeads, headDim } = config;
  const p = `model.layers.${layer}`;
  const spec = (name: string, shape: number[]): WeightSpec => ({ name: `${p}.${name}`, shape });
  const optional = (on: boolean, name: string, shape: number[]) => (on ? spec(name, shape) : undefined);
  return {
    inputNorm: spec("input_layernorm.weight", [h]),
    q: spec("self_attn.q_proj.weight", [numHeads * headDim, h]),
    k: spec("self_attn.k_proj.weight", [numKvHeads * headDim, h]),
    v: spec("self_attn.v_proj.weight", [numKvHeads * headDim, h]),
    o: spec("self_attn.o_proj.weight", [h, numHeads * headDim]),
    qBias: optional(config.qkvBias, "self_attn.q_proj.bias", [numHeads * headDim]),
    kBias: optional(config.qkvBias, "self_attn.k_proj.bias", [numKvHeads * headDim]),
    vBias: optional(config.qkvBias, "self_attn.v_proj.bias", [numKvHeads * headDim]),
    oBias: optional(config.oBias, "self_attn.o_proj.bias", [h]),
    qNorm: optional(hasQkNorm(config), "self_attn.q_norm.weight", [headDim]),
    kNorm: optional(hasQkNorm(config), "self_attn.k_norm.weight", [headDim]),
    postNorm: spec("post_attention_layernorm.weight", [h]),
    gate: spec("mlp.gate_proj.weight", [i, h]),
    up: spec("mlp.up_proj.weight", [i, h]),
    down: spec("mlp.down_proj.weight", [h, i]),
    gateBias: optional(config.mlpBias, "mlp.gate_proj.bias", [i]),
    upBias: optional(config.mlpBias, "mlp.up_proj.bias", [i]),
    downBias: optional(config.mlpBias, "mlp.down_proj.bias", [h]),
  };
}

export type LayerWeights = ReturnType<typeof layerWeights>;

/** Weights outside the layers. With tied embeddings the LM head reads the embedding matrix. */
export function globalWeights(config: ModelConfig) {
  const { hiddenSize: h, vocabSize: v } = config;
  const embed: WeightSpec = { name: "model.embed_tokens.weight", shape: [v, h] };
  return {
    embed,
    finalNorm: { name: "model.norm.weight", shape: [h] } satisfies WeightSpec,
    lmHead: config.tieWordEmbeddings
      ? embed
      : ({ name: "lm_head.weight", shape: [v, h] } satisfies WeightSpec),
  };
}
