import type { Manifest } from "./manifest.js";

/** Each shard's revenue share: `10000 - fee` split by layer count, the rounding remainder to the first shard. */
export function defaultShares(manifest: Manifest, feeBps: number): number[] {
  const total = 10_000 - feeBps;
  const layers = manifest.config.numLayers;
  const shares = manifest.shards.map((s) => Math.floor((total * (s.layerEnd - s.layerStart)) / layers));
  shares[0]! += total - shares.reduce((a, b) => a + b, 0);
  return shares;
}
