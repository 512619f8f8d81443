import { UnsupportedModelError } from "./errors.js";
import type { ModelConfig } from "./modelConfig.js";

/**
 * How a shard graph keeps its KV cache (`manifest.kvCache`):
 * - `inPlace`: onnxruntime's `GroupQueryAttention` (rotary embedding fused) reads and writes one fixed-capacity
 *   buffer per layer and tensor, fed as `past` and pre-allocated as `present`; each call writes only its new
 *   positions. `ShardSession` grows the buffer geometrically, copying once per growth.
 * - `concat`: the graph concatenates past and new keys/values into a `present` of `past + seq` positions, with RoPE,
 *   causal mask and attention as separate nodes. Every call copies the whole cache inside the graph.
 */
export const KV_CACHE_LAYOUTS = ["inPlace", "concat"] as const;
export type KvCacheLayout = (typeof KV_CACHE_LAYOUTS)[number];

/** `GroupQueryAttention`'s rotary kernel needs head_dim to be a multiple of 16 (cos/sin rows a multiple of 8). */
export function supportsInPlaceKv(config: Pick<ModelConfig, "headDim">): boolean {
  return config.headDim % 16 === 0;
}

/** `inPlace` where the model allows it, else `concat`. */
export function defaultKvCacheLayout(config: Pick<ModelConfig, "headDim">): KvCacheLayout {
  return supportsInPlaceKv(config) ? "inPlace" : "concat";
}

/** Throws when `layout` cannot run `config`. */
export function checkKvCacheLayout(config: Pick<ModelConfig, "headDim">, layout: KvCacheLayout): void {
  if (layout === "inPlace" && !supportsInPlaceKv(config)) {
    throw new UnsupportedModelError(
      `the in-place KV cache needs head_dim divisible by 16, not ${config.headDim}`,
      {
        hint: 'Shard with kvCache: "concat".',
      },
    );
  }
}
