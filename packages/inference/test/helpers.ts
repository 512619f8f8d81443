import "./typedArrayRealms.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forwardChain } from "../src/generate.js";
import type { KvCacheLayout } from "../src/kvCacheLayout.js";
import type { ShardSession } from "../src/ShardSession.js";
import { ShardSession as Session } from "../src/ShardSession.js";
import { shardModel } from "../src/shardModel.js";

/** A fresh temporary folder per test file; weights are generated here and never committed. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `teetee-inference-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Shards `modelDir` at `boundaries` into `outDir` (fp32 and the default KV layout unless `options` says otherwise)
 * and opens every shard.
 */
export async function openChain(
  modelDir: string,
  outDir: string,
  boundaries: number[],
  options: { format?: string; blockSize?: number; kvCache?: KvCacheLayout } = {},
): Promise<ShardSession[]> {
  const { manifest } = await shardModel({
    modelDir,
    outDir,
    boundaries: boundaries.length ? boundaries : undefined,
    shardCount: boundaries.length ? undefined : 1,
    quiet: true,
    ...options,
  });
  return Promise.all(
    manifest.shards.map((_, shardIndex) =>
      Session.create({ dir: outDir, shardIndex, manifest, intraOpNumThreads: 1 }),
    ),
  );
}

export async function releaseAll(shards: ShardSession[]): Promise<void> {
  await Promise.all(shards.map((s) => s.release()));
}

/** Logits of all new positions as rows of `vocab` values. */
export async function chainLogits(
  shards: ShardSession[],
  sessionId: string,
  inputIds: number[],
): Promise<Float32Array> {
  return forwardChain(shards, { sessionId, inputIds, logits: "all" });
}

/** Largest absolute difference between two equally long sequences of numbers. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} differs from ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) max = d;
  }
  return max;
}

/** Every subset of the split points of an n-layer model, i.e. every way to shard it (1 to n shards). */
export function allBoundarySets(numLayers: number): number[][] {
  const splits = Array.from({ length: numLayers - 1 }, (_, i) => i + 1);
  return Array.from({ length: 2 ** splits.length }, (_, mask) => splits.filter((_, i) => mask & (1 << i)));
}
