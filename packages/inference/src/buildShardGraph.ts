import type onnxProto from "onnx-proto";
import { groupQueryAttention, type InPlaceAttentionInputs, rotaryCaches } from "./groupQueryAttention.js";
import { checkKvCacheLayout, defaultKvCacheLayout, type KvCacheLayout } from "./kvCacheLayout.js";
import type { ModelConfig } from "./modelConfig.js";
import { globalWeights, layerWeights, type WeightSpec } from "./modelWeights.js";
import { BOOL, FLOAT, GraphBuilder, INT32, INT64 } from "./onnxGraph.js";
import type { WeightsSpec } from "./quantize.js";
import { type DeclareWeight, quantizedGather, quantizedLinear, type WeightPart } from "./quantizedOps.js";
import { ropeInverseFrequencies } from "./rope.js";

/** Graph input and output names, shared by the builder and `ShardSession`. */
export const TENSOR_NAMES = {
  inputIds: "input_ids",
  hiddenIn: "hidden_states",
  positionIds: "position_ids",
  attentionMask: "attention_mask",
  seqlensK: "seqlens_k",
  totalSequenceLength: "total_sequence_length",
  logitsIndices: "logits_indices",
  hiddenOut: "hidden_states_out",
  logits: "logits",
  pastKey: (layer: number) => `past_key_values.${layer}.key`,
  pastValue: (layer: number) => `past_key_values.${layer}.value`,
  presentKey: (layer: number) => `present.${layer}.key`,
  presentValue: (layer: number) => `present.${layer}.value`,
} as const;

export type ShardGraphParams = {
  config: ModelConfig;
  /** First layer (inclusive) and end layer (exclusive) of the shard. */
  layerStart: number;
  layerEnd: number;
  /** How weight matrices (projections, embedding, LM head) are stored; norms and biases stay fp32. Default fp32. */
  weights?: WeightsSpec;
  /** How the KV cache is kept (see `KvCacheLayout`); default `inPlace` where head_dim allows it. */
  kvCache?: KvCacheLayout;
};

export type ShardGraph = {
  model: onnxProto.onnx.ModelProto;
  /**
   * The weights the graph reads from external data: which part of which checkpoint tensor each initializer holds.
   * Entries of one tensor are adjacent, except a tied embedding's LM-head entries, which reuse its bytes.
   */
  externalWeights: { spec: WeightSpec; part: WeightPart; tensor: onnxProto.onnx.ITensorProto }[];
};

/**
 * Builds the ONNX graph of one shard: decoder layers `[layerStart, layerEnd)`, plus the token embedding when the
 * shard starts at layer 0 and the final norm and LM head when it ends at the last layer.
 *
 * Inputs: `input_ids` [batch, seq] (first shard) or `hidden_states` [batch, seq, hidden]; `position_ids`
 * [batch, seq]; on the last shard `logits_indices` [n], which of the `seq` positions to return logits for. Outputs:
 * `hidden_states_out` [batch, seq, hidden] or, on the last shard, `logits` [batch, n, vocab]. The KV cache, per
 * layer L, by layout:
 * - `inPlace`: `seqlens_k` (int32 [batch], cached positions after the call − 1) and `total_sequence_length` (int32
 *   scalar); `past_key_values.L.key`/`.value` and `present.L.key`/`.value` are [batch, kv_heads, capacity,
 *   head_dim], meant to be one buffer fed and pre-allocated alike, of which the call writes only the new positions.
 * - `concat`: `attention_mask` [batch, past + seq] (1 attends, 0 is padding); `past_key_values.L.*` [batch,
 *   kv_heads, past, head_dim] in, `present.L.*` [batch, kv_heads, past + seq, head_dim] out.
 */
export function buildShardGraph(params: ShardGraphParams): ShardGraph {
  const { config, layerStart, layerEnd } = params;
  const g = new GraphBuilder();
  const externalWeights: ShardGraph["externalWeights"] = [];
  const declare: DeclareWeight = (spec, part, name, dataType, dims) => {
    if (!externalWeights.some((w) => w.tensor.name === name)) {
      externalWeights.push({ spec, part, tensor: g.externalTensor(name, dataType, dims) });
    }
    return name;
  };
  const weight = (spec: WeightSpec): string => declare(spec, "fp32", spec.name, FLOAT, spec.shape);
  const first = layerStart === 0;
  const last = layerEnd === config.numLayers;
  const { hiddenSize: h, numKvHeads, headDim } = config;
  const n = TENSOR_NAMES;
  const weights = params.weights ?? { format: "fp32" };
  const kvCache = params.kvCache ?? defaultKvCacheLayout(config);
  checkKvCacheLayout(config, kvCache);

  const positionIds = g.input(n.positionIds, INT64, ["batch", "seq"]);
  const batchSeq = g.op("Shape", [positionIds]);

  let hidden: string;
  if (first) {
    const ids = g.input(n.inputIds, INT64, ["batch", "seq"]);
    hidden = embedTokens({ g, weights, weight, declare }, globalWeights(config).embed, ids);
  } else {
    hidden = g.input(n.hiddenIn, FLOAT, ["batch", "seq", h]);
  }
  // The residual stream stays 2-D ([batch·seq, hidden]) so every projection is one Gemm on the HF [out, in] layout.
  let x = g.op("Reshape", [hidden, g.int64([-1, h])]);

  const context: LayerContext = {
    g,
    config,
    weights,
    weight,
    declare,
    batchSeq,
    attention:
      kvCache === "inPlace" ? inPlaceInputs(g, config, positionIds) : concatInputs(g, config, positionIds),
  };
  const [past, present] = kvCache === "inPlace" ? ["capacity", "capacity"] : ["past", "total"];
  for (let layer = layerStart; layer < layerEnd; layer++) {
    const pastKey = g.input(n.pastKey(layer), FLOAT, ["batch", numKvHeads, past, headDim]);
    const pastValue = g.input(n.pastValue(layer), FLOAT, ["batch", numKvHeads, past, headDim]);
    x = decoderLayer(context, layer, x, pastKey, pastValue);
    g.output(n.presentKey(layer), FLOAT, ["batch", numKvHeads, present, headDim]);
    g.output(n.presentValue(layer), FLOAT, ["batch", numKvHeads, present, headDim]);
  }

  const hidden3d = g.op("Reshape", [x, g.op("Concat", [batchSeq, g.int64([h])], { axis: 0 })]);
  if (last) {
    lmHead(context, hidden3d);
  } else {
    g.op("Identity", [hidden3d], {}, n.hiddenOut);
    g.output(n.hiddenOut, FLOAT, ["batch", "seq", h]);
  }
  const doc = `${config.architecture} layers [${layerStart}, ${layerEnd}) of ${config.numLayers}`;
  return { model: g.build(`shard_${layerStart}_${layerEnd}`, doc), externalWeights };
}

type LayerContext = {
  g: GraphBuilder;
  config: ModelConfig;
  weights: WeightsSpec;
  /** An fp32 weight (norms, biases, and every weight of an fp32 shard). */
  weight: (spec: WeightSpec) => string;
  declare: DeclareWeight;
  /** Shape of `position_ids`: [batch, seq]. */
  batchSeq: string;
  attention: ConcatAttentionInputs | ({ kind: "inPlace" } & InPlaceAttentionInputs);
};

/** What the concat layout's attention reads besides the layer's tensors: RoPE tables and the additive mask. */
type ConcatAttentionInputs = { kind: "concat"; rope: { cos: string; sin: string }; maskBias: string };

function concatInputs(g: GraphBuilder, config: ModelConfig, positionIds: string): ConcatAttentionInputs {
  const attentionMask = g.input(TENSOR_NAMES.attentionMask, INT64, ["batch", "total"]);
  return {
    kind: "concat",
    rope: ropeTables(g, config, positionIds),
    maskBias: attentionBias(g, config, positionIds, attentionMask),
  };
}

function inPlaceInputs(
  g: GraphBuilder,
  config: ModelConfig,
  positionIds: string,
): { kind: "inPlace" } & InPlaceAttentionInputs {
  return {
    kind: "inPlace",
    positionIds,
    seqlensK: g.input(TENSOR_NAMES.seqlensK, INT32, ["batch"]),
    totalSequenceLength: g.input(TENSOR_NAMES.totalSequenceLength, INT32, []),
    rotary: rotaryCaches(g, config),
  };
}

/** cos/sin tables [batch, seq, 1, head_dim] from the explicit positions, so any position order or offset works. */
function ropeTables(g: GraphBuilder, config: ModelConfig, positionIds: string) {
  const half = config.headDim / 2;
  const invFreq = g.floatTensor("rope_inv_freq", ropeInverseFrequencies(config), [half]);
  const positions = g.op("Unsqueeze", [g.op("Cast", [positionIds], { to: FLOAT }), g.int64([-1])]);
  const freqs = g.op("Mul", [positions, invFreq]);
  const angles = g.op("Unsqueeze", [g.op("Concat", [freqs, freqs], { axis: -1 }), g.int64([2])]);
  return { cos: g.op("Cos", [angles]), sin: g.op("Sin", [angles]) };
}

/**
 * Additive attention bias [batch, 1, heads_per_kv · seq, total]: 0 where a query may attend (key index at most
 * the query's index in the whole sequence, and the mask is 1), the lowest float elsewhere, as Transformers does.
 * Rows repeat per query head of a KV group because attention runs on [batch, kv_heads, group · seq, ·].
 */
function attentionBias(g: GraphBuilder, config: ModelConfig, positionIds: string, attentionMask: string) {
  const scalar = (v: string) => g.op("Squeeze", [v, g.int64([0])]);
  const total = g.op("Shape", [attentionMask], { start: 1 });
  const seq = g.op("Shape", [positionIds], { start: 1 });
  const past = g.op("Sub", [total, seq]);
  const one = g.int64([1], []);
  const keyIndex = g.op("Unsqueeze", [g.op("Range", [g.int64([0], []), scalar(total), one]), g.int64([0])]);
  const queryIndex = g.op("Unsqueeze", [g.op("Range", [scalar(past), scalar(total), one]), g.int64([1])]);
  const causal = g.op("LessOrEqual", [keyIndex, queryIndex]);
  const padding = g.op("Unsqueeze", [g.op("Cast", [attentionMask], { to: BOOL }), g.int64([1, 2])]);
  const allowed = g.op("And", [causal, padding]);
  const bias = g.op("Where", [allowed, g.float([0], []), g.float([-3.4028234663852886e38], [])]);
  const group = config.numHeads / config.numKvHeads;
  return group === 1 ? bias : g.op("Tile", [bias, g.int64([1, 1, group, 1])]);
}

/** The embedding rows of `ids`: a Gather on fp32 weights, `GatherBlockQuantized` on quantized ones. */
function embedTokens(
  c: Pick<LayerContext, "g" | "weights" | "weight" | "declare">,
  embed: WeightSpec,
  ids: string,
): string {
  if (c.weights.format === "fp32") return c.g.op("Gather", [c.weight(embed), ids], { axis: 0 });
  return quantizedGather(c.g, c.declare, embed, c.weights, ids);
}

function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  const variance = g.op("ReduceMean", [g.op("Pow", [x, g.float([2], [])])], { axes: [-1], keepdims: 1 });
  const scale = g.op("Sqrt", [g.op("Add", [variance, g.float([eps], [])])]);
  return g.op("Mul", [g.op("Div", [x, scale]), weight]);
}

/** `x · wᵀ + bias` for an HF [out, in] weight: a Gemm on fp32 weights, `MatMulNBits` on quantized ones. */
function linear(c: LayerContext, x: string, w: WeightSpec, bias: WeightSpec | undefined): string {
  if (c.weights.format !== "fp32") {
    return quantizedLinear(c.g, c.declare, x, w, c.weights, bias && c.weight(bias));
  }
  const inputs = [x, c.weight(w)];
  if (bias) inputs.push(c.weight(bias));
  return c.g.op("Gemm", inputs, { transB: 1 });
}

/** Qwen3's per-head RMSNorm of q or k ([batch, seq, heads, head_dim], over head_dim); other architectures have none. */
function headNorm(c: LayerContext, x: string, weight: WeightSpec | undefined): string {
  return weight ? rmsNorm(c.g, x, c.weight(weight), c.config.rmsNormEps) : x;
}

/** q·cos + rotate_half(q)·sin on [batch, seq, heads, head_dim], rotate_half(q) = [-q₂, q₁]. */
function applyRope(c: LayerContext, rope: ConcatAttentionInputs["rope"], x: string): string {
  const { g } = c;
  const half = c.config.headDim / 2;
  const axis = g.int64([-1]);
  const x1 = g.op("Slice", [x, g.int64([0]), g.int64([half]), axis]);
  const x2 = g.op("Slice", [x, g.int64([half]), g.int64([c.config.headDim]), axis]);
  const rotated = g.op("Concat", [g.op("Neg", [x2]), x1], { axis: -1 });
  return g.op("Add", [g.op("Mul", [x, rope.cos]), g.op("Mul", [rotated, rope.sin])]);
}

function decoderLayer(c: LayerContext, layer: number, x: string, pastKey: string, pastValue: string): string {
  const { g, config } = c;
  const w = layerWeights(config, layer);
  const normed = rmsNorm(g, x, c.weight(w.inputNorm), config.rmsNormEps);
  const attention = selfAttention(c, layer, normed, pastKey, pastValue);
  const afterAttention = g.op("Add", [x, linear(c, attention, w.o, w.oBias)]);
  const normed2 = rmsNorm(g, afterAttention, c.weight(w.postNorm), config.rmsNormEps);
  const gate = linear(c, normed2, w.gate, w.gateBias);
  const activated = g.op("Mul", [
    g.op("Mul", [gate, g.op("Sigmoid", [gate])]),
    linear(c, normed2, w.up, w.upBias),
  ]);
  return g.op("Add", [afterAttention, linear(c, activated, w.down, w.downBias)]);
}

function selfAttention(
  c: LayerContext,
  layer: number,
  x: string,
  pastKey: string,
  pastValue: string,
): string {
  return c.attention.kind === "inPlace"
    ? inPlaceAttention(c, c.attention, layer, x, pastKey, pastValue)
    : concatAttention(c, c.attention, layer, x, pastKey, pastValue);
}

/**
 * The in-place layout: projections (and Qwen3's per-head norms, which come before the rotation GQA applies) as
 * [batch, seq, heads · head_dim], then one `GroupQueryAttention` that rotates q and k, appends k and v to the shared
 * cache buffers and attends.
 */
function inPlaceAttention(
  c: LayerContext,
  inputs: InPlaceAttentionInputs,
  layer: number,
  x: string,
  pastKey: string,
  pastValue: string,
): string {
  const { g, config } = c;
  const { numHeads, numKvHeads, headDim } = config;
  const w = layerWeights(config, layer);
  const rows = (width: number) => g.op("Concat", [c.batchSeq, g.int64([width])], { axis: 0 });
  const heads = (count: number) => g.op("Concat", [c.batchSeq, g.int64([count, headDim])], { axis: 0 });
  const normed = (projection: string, count: number, norm: WeightSpec | undefined) =>
    norm
      ? g.op("Reshape", [
          headNorm(c, g.op("Reshape", [projection, heads(count)]), norm),
          rows(count * headDim),
        ])
      : g.op("Reshape", [projection, rows(count * headDim)]);
  const output = groupQueryAttention(
    g,
    config,
    inputs,
    {
      query: normed(linear(c, x, w.q, w.qBias), numHeads, w.qNorm),
      key: normed(linear(c, x, w.k, w.kBias), numKvHeads, w.kNorm),
      value: normed(linear(c, x, w.v, w.vBias), numKvHeads, undefined),
      pastKey,
      pastValue,
    },
    {
      name: `attention_${layer}`,
      presentKey: TENSOR_NAMES.presentKey(layer),
      presentValue: TENSOR_NAMES.presentValue(layer),
    },
  );
  return g.op("Reshape", [output, g.int64([-1, numHeads * headDim])]);
}

/**
 * Grouped-query attention without repeating K/V: queries are laid out [batch, kv_heads, group · seq, head_dim]
 * so each KV head multiplies all the query heads that share it, and the cache is never copied per query head.
 */
function concatAttention(
  c: LayerContext,
  inputs: ConcatAttentionInputs,
  layer: number,
  x: string,
  pastKey: string,
  pastValue: string,
): string {
  const { g, config } = c;
  const { numHeads, numKvHeads, headDim } = config;
  const group = numHeads / numKvHeads;
  const w = layerWeights(config, layer);
  const heads = (count: number) => g.op("Concat", [c.batchSeq, g.int64([count, headDim])], { axis: 0 });
  const q = applyRope(
    c,
    inputs.rope,
    headNorm(c, g.op("Reshape", [linear(c, x, w.q, w.qBias), heads(numHeads)]), w.qNorm),
  );
  const k = applyRope(
    c,
    inputs.rope,
    headNorm(c, g.op("Reshape", [linear(c, x, w.k, w.kBias), heads(numKvHeads)]), w.kNorm),
  );
  const v = g.op("Reshape", [linear(c, x, w.v, w.vBias), heads(numKvHeads)]);
  const presentKey = g.op(
    "Concat",
    [pastKey, g.op("Transpose", [k], { perm: [0, 2, 1, 3] })],
    { axis: 2 },
    TENSOR_NAMES.presentKey(layer),
  );
  const presentValue = g.op(
    "Concat",
    [pastValue, g.op("Transpose", [v], { perm: [0, 2, 1, 3] })],
    { axis: 2 },
    TENSOR_NAMES.presentValue(layer),
  );

  const grouped = g.op("Reshape", [
    q,
    g.op("Concat", [c.batchSeq, g.int64([numKvHeads, group, headDim])], { axis: 0 }),
  ]);
  const queries = g.op("Reshape", [
    g.op("Transpose", [grouped], { perm: [0, 2, 3, 1, 4] }),
    g.int64([0, numKvHeads, -1, headDim]),
  ]);
  const scores = g.op("MatMul", [queries, g.op("Transpose", [presentKey], { perm: [0, 1, 3, 2] })]);
  const scaled = g.op("Add", [g.op("Mul", [scores, g.float([1 / Math.sqrt(headDim)], [])]), inputs.maskBias]);
  const context = g.op("MatMul", [g.op("Softmax", [scaled], { axis: -1 }), presentValue]);
  const split = g.op("Reshape", [context, g.int64([0, numKvHeads, group, -1, headDim])]);
  return g.op("Reshape", [
    g.op("Transpose", [split], { perm: [0, 3, 1, 2, 4] }),
    g.int64([-1, numHeads * headDim]),
  ]);
}

/** Final norm and LM head on the requested positions only, so decode steps never compute unused logits. */
function lmHead(c: LayerContext, hidden3d: string): void {
  const { g, config } = c;
  const globals = globalWeights(config);
  const indices = g.input(TENSOR_NAMES.logitsIndices, INT64, ["n"]);
  const selected = g.op("Reshape", [
    g.op("Gather", [hidden3d, indices], { axis: 1 }),
    g.int64([-1, config.hiddenSize]),
  ]);
  const normed = rmsNorm(g, selected, c.weight(globals.finalNorm), config.rmsNormEps);
  const logits2d = linear(c, normed, globals.lmHead, undefined);
  const batchOnly = g.op("Slice", [c.batchSeq, g.int64([0]), g.int64([1])]);
  const shape = g.op("Concat", [batchOnly, g.op("Shape", [indices]), g.int64([config.vocabSize])], {
    axis: 0,
  });
  g.op("Reshape", [logits2d, shape], {}, TENSOR_NAMES.logits);
  g.output(TENSOR_NAMES.logits, FLOAT, ["batch", "n", config.vocabSize]);
}
