import { ShardBoundaryError } from "./errors.js";
import type { ModelConfig } from "./modelConfig.js";
import { globalWeights, layerWeights, type WeightSpec } from "./modelWeights.js";

const elements = (spec: WeightSpec | undefined) => (spec ? spec.shape.reduce((a, b) => a * b, 1) : 0);

/**
 * Boundaries that split the model into `shardCount` shards whose weights are as equal as layer granularity
 * allows (minimizing the largest shard), counting the embedding in the first shard and the final norm and LM
 * head in the last. With a large vocabulary, even layer counts would leave the end shards much heavier.
 */
export function balancedBoundaries(config: ModelConfig, shardCount: number): number[] {
  const n = config.numLayers;
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > n) {
    throw new ShardBoundaryError(`shard count ${shardCount} is out of range`, {
      hint: `Use between 1 and ${n} shards (one layer at least per shard).`,
    });
  }
  const layer = Object.values(layerWeights(config, 0)).reduce((s, w) => s + elements(w), 0);
  const globals = globalWeights(config);
  const cost = (start: number, end: number) =>
    (end - start) * layer +
    (start === 0 ? elements(globals.embed) : 0) +
    (end === n ? elements(globals.finalNorm) + elements(globals.lmHead) : 0);
  // best[k][j]: smallest possible largest shard when the first j layers form k shards; from[k][j] its last start.
  const best = Array.from({ length: shardCount + 1 }, () =>
    new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY),
  );
  const from = Array.from({ length: shardCount + 1 }, () => new Array<number>(n + 1).fill(0));
  best[0]![0] = 0;
  for (let k = 1; k <= shardCount; k++) {
    for (let j = k; j <= n; j++) {
      for (let i = k - 1; i < j; i++) {
        const candidate = Math.max(best[k - 1]![i]!, cost(i, j));
        if (candidate < best[k]![j]!) {
          best[k]![j] = candidate;
          from[k]![j] = i;
        }
      }
    }
  }
  const boundaries: number[] = [];
  for (let k = shardCount, j = n; k > 1; k--) {
    j = from[k]![j]!;
    boundaries.unshift(j);
  }
  return boundaries;
}
