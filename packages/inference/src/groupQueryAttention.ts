import type { ModelConfig } from "./modelConfig.js";
import type { GraphBuilder } from "./onnxGraph.js";
import { ropeInverseFrequencies } from "./rope.js";

/** Graph-wide inputs the in-place attention of every layer reads. */
export type InPlaceAttentionInputs = {
  /** int64 [batch, seq]: the new tokens' positions, for the rotation only (the cache index is `seqlens_k`'s). */
  positionIds: string;
  /** int32 [batch]: positions cached after this call, minus one. */
  seqlensK: string;
  /** int32 scalar: positions cached after this call. */
  totalSequenceLength: string;
  rotary: { cos: string; sin: string };
};

/**
 * cos/sin tables [max_positions, head_dim / 2] for `GroupQueryAttention`'s fused rotation, from the same inverse
 * frequencies (scaling applied) and the same fp32 products `position · inv_freq` as the concat graph's tables.
 * They are computed from constants, so onnxruntime folds them once at load; the graph file stays small.
 */
export function rotaryCaches(g: GraphBuilder, config: ModelConfig): { cos: string; sin: string } {
  const half = config.headDim / 2;
  const invFreq = g.floatTensor("rope_inv_freq", ropeInverseFrequencies(config), [half]);
  const positions = g.op("Range", [g.float([0], []), g.float([config.maxPositions], []), g.float([1], [])]);
  const angles = g.op("Mul", [g.op("Unsqueeze", [positions, g.int64([1])]), invFreq]);
  return { cos: g.op("Cos", [angles]), sin: g.op("Sin", [angles]) };
}

/**
 * onnxruntime's `com.microsoft` `GroupQueryAttention` on [batch, seq, heads · head_dim] queries and keys/values:
 * rotary embedding (`rotary_interleaved` 0, i.e. Transformers' rotate_half), causal softmax over the cached and new
 * positions and grouped KV heads in one kernel. `pastKey`/`pastValue` are [batch, kv_heads, capacity, head_dim]
 * (BNSH); when the caller binds `presentKey`/`presentValue` to the same buffers, the CPU kernel detects the shared
 * pointer and writes only the new positions at `[seqlens_k + 1 - seq, seqlens_k + 1)`. Returns the attention output
 * [batch, seq, heads · head_dim].
 */
export function groupQueryAttention(
  g: GraphBuilder,
  config: ModelConfig,
  inputs: InPlaceAttentionInputs,
  tensors: { query: string; key: string; value: string; pastKey: string; pastValue: string },
  outputs: { presentKey: string; presentValue: string; name: string },
): string {
  g.contribNode(
    "GroupQueryAttention",
    [
      tensors.query,
      tensors.key,
      tensors.value,
      tensors.pastKey,
      tensors.pastValue,
      inputs.seqlensK,
      inputs.totalSequenceLength,
      inputs.rotary.cos,
      inputs.rotary.sin,
      inputs.positionIds,
    ],
    [outputs.name, outputs.presentKey, outputs.presentValue],
    {
      num_heads: config.numHeads,
      kv_num_heads: config.numKvHeads,
      do_rotary: 1,
      rotary_interleaved: 0,
    },
  );
  return outputs.name;
}
