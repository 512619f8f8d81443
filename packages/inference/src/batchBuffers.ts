import * as ort from "onnxruntime-node";
import type { KvShape, SequenceCache } from "./sequenceCache.js";

/** Positions a batch's KV tensors hold, beyond the longest sequence: a multiple of this, so the buffers are reused. */
const STEP = 32;

/** Positions per row a batched decode call binds when its longest sequence reaches `total` positions. */
export function batchCapacity(total: number, maxPositions: number): number {
  return Math.min(maxPositions, Math.ceil(total / STEP) * STEP);
}

/**
 * The reusable `[batch, kv_heads, capacity, head_dim]` buffers a batched decode call binds (one per layer and key
 * or value), shared by every batch of one shard. A call gathers each sequence's cached positions into its row,
 * lets `GroupQueryAttention` write the new position in place, and scatters only that position back into the
 * sequence's own cache (`SequenceCache`), so sequences stay independent between calls. The gather copies each
 * sequence's cache once per step; onnxruntime-node 1.30 copies the whole bound tensor back anyway, so the bound
 * capacity is kept at the longest sequence of the batch, rounded up to `STEP`.
 *
 * The buffers grow to the largest call seen and stay (reallocating per call would cost as much as the gather);
 * {@link release} frees them, e.g. when no batch is waiting, so a past burst does not pin its peak.
 */
export class BatchBuffers {
  private store: Float32Array[] = [];
  /** The most bytes the buffers have held at once. */
  peakBytes = 0;

  constructor(
    private readonly shape: KvShape,
    private readonly count: number,
  ) {}

  /** Bytes the shared buffers hold now (they grow to the largest batch seen since the last release). */
  bytes(): number {
    return this.store.reduce((n, b) => n + b.byteLength, 0);
  }

  /** Frees the buffers; the next call allocates what it needs. */
  release(): void {
    this.store = [];
  }

  /**
   * Tensors [batch, kv_heads, capacity, head_dim] holding each cache's cached positions in its row, with room for
   * `totals[b]` positions of row b.
   */
  gather(
    caches: readonly SequenceCache[],
    totals: readonly number[],
  ): { tensors: ort.Tensor[]; capacity: number } {
    const { numKvHeads, headDim, maxPositions } = this.shape;
    for (const [b, cache] of caches.entries()) cache.reserve(totals[b]!);
    const capacity = batchCapacity(Math.max(...totals), maxPositions);
    const size = caches.length * numKvHeads * capacity * headDim;
    if ((this.store[0]?.length ?? 0) < size) {
      this.store = Array.from({ length: this.count }, () => new Float32Array(size));
      this.peakBytes = Math.max(this.peakBytes, this.bytes());
    }
    const row = numKvHeads * capacity * headDim;
    const tensors = this.store.map((buffer, i) => {
      const view = buffer.subarray(0, size);
      caches.forEach((cache, b) => {
        const from = cache.buffers()[i]!;
        const stride = cache.capacity * headDim;
        for (let h = 0; h < numKvHeads; h++) {
          const start = h * stride;
          view.set(from.subarray(start, start + cache.length * headDim), b * row + h * capacity * headDim);
        }
      });
      return new ort.Tensor("float32", view, [caches.length, numKvHeads, capacity, headDim]);
    });
    return { tensors, capacity };
  }

  /** Copies the positions [length, total) of row b back into cache b's own buffers (grown by `gather`). */
  scatter(caches: readonly SequenceCache[], totals: readonly number[], capacity: number): void {
    const { numKvHeads, headDim } = this.shape;
    const row = numKvHeads * capacity * headDim;
    caches.forEach((cache, b) => {
      const stride = cache.capacity * headDim;
      const from = cache.length * headDim;
      const to = totals[b]! * headDim;
      cache.buffers().forEach((own, i) => {
        const batch = this.store[i]!;
        for (let h = 0; h < numKvHeads; h++) {
          const start = b * row + h * capacity * headDim;
          own.set(batch.subarray(start + from, start + to), h * stride + from);
        }
      });
    });
  }
}
