import * as ort from "onnxruntime-node";
import type { KvCacheLayout } from "./kvCacheLayout.js";

/** Shape of one layer's key or value cache: [1, kv_heads, capacity, head_dim]. */
export type KvShape = { numKvHeads: number; headDim: number; maxPositions: number };

/** The KV cache of one sequence in one shard, as the graph's layout needs it fed and fetched. */
export interface SequenceCache {
  /** Positions cached. */
  length: number;
  /** A forward call on this sequence is in flight. */
  busy: boolean;
  /** Positions the buffers hold without growing. */
  readonly capacity: number;
  /** Bytes of every buffer this sequence holds. */
  bytes(): number;
  /**
   * Makes room for `total` positions and adds the cache feeds and pre-allocated fetches of a call that extends the
   * sequence from `length` to `total`, `pastNames[i]`/`presentNames[i]` for buffer i (key, value per layer).
   */
  bind(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, ort.Tensor | null>,
    total: number,
    names: { past: string[]; present: string[] },
  ): void;
  /** The call succeeded: `total` positions are cached. */
  commit(total: number): void;
  /** Buffer i's cached positions as [kv_heads, capacity, head_dim] (positions past `length` are unspecified). */
  buffers(): readonly Float32Array[];
  /** Grows the buffers (as `bind` would) so that they hold `total` positions. */
  reserve(total: number): void;
}

/** A fresh cache of `count` tensors (key and value per layer) for `layout`'s graphs. */
export function newSequenceCache(layout: KvCacheLayout, shape: KvShape, count: number): SequenceCache {
  return layout === "inPlace" ? new InPlaceCache(shape, count) : new ConcatCache(shape, count);
}

/** Copies the first `length` positions of each head from `from` (capacity `fromCapacity`) into a new buffer. */
function regrow(
  shape: KvShape,
  from: Float32Array | undefined,
  fromCapacity: number,
  length: number,
  capacity: number,
) {
  const { numKvHeads, headDim } = shape;
  const buffer = new Float32Array(numKvHeads * capacity * headDim);
  if (!from || length === 0) return buffer;
  for (let h = 0; h < numKvHeads; h++) {
    const start = h * fromCapacity * headDim;
    buffer.set(from.subarray(start, start + length * headDim), h * capacity * headDim);
  }
  return buffer;
}

/**
 * The `inPlace` layout: one buffer per tensor, fed as `past` and pre-allocated as `present` through the same
 * `ort.Tensor`, so onnxruntime's `GroupQueryAttention` sees one pointer and writes only the new positions.
 *
 * When a call needs more room, capacity becomes `GROWTH` × the positions needed, rounded up to `STEP`, at most the
 * model's maximum, and the cached positions are copied once. It is kept tight rather than fixed at the model's
 * maximum because onnxruntime-node 1.30 hands every pre-allocated output back as a fresh copy of the whole tensor:
 * each call copies `capacity` positions, whatever it writes (see README, "KV cache"). 1/8 of slack costs ~6% more
 * copy-back on average; each growth copies the cache once, i.e. about 8 positions per step amortized.
 */
class InPlaceCache implements SequenceCache {
  static readonly GROWTH = 1.125;
  static readonly STEP = 32;
  length = 0;
  busy = false;
  capacity = 0;
  private store: Float32Array[] = [];
  private tensors: ort.Tensor[] = [];

  constructor(
    private readonly shape: KvShape,
    private readonly count: number,
  ) {}

  bytes(): number {
    return this.store.reduce((n, b) => n + b.byteLength, 0);
  }

  bind(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, ort.Tensor | null>,
    total: number,
    names: { past: string[]; present: string[] },
  ): void {
    this.reserve(total);
    for (let i = 0; i < this.count; i++) {
      feeds[names.past[i]!] = this.tensors[i]!;
      fetches[names.present[i]!] = this.tensors[i]!;
    }
  }

  commit(total: number): void {
    this.length = total;
  }

  buffers(): readonly Float32Array[] {
    return this.store;
  }

  reserve(total: number): void {
    if (total > this.capacity) this.grow(total);
  }

  private grow(total: number): void {
    const { numKvHeads, headDim, maxPositions } = this.shape;
    const { GROWTH, STEP } = InPlaceCache;
    const capacity = Math.min(maxPositions, Math.ceil((total * GROWTH) / STEP) * STEP);
    this.store = Array.from({ length: this.count }, (_, i) =>
      regrow(this.shape, this.store[i], this.capacity, this.length, capacity),
    );
    const dims = [1, numKvHeads, capacity, headDim];
    this.tensors = this.store.map((buffer) => new ort.Tensor("float32", buffer, dims));
    this.capacity = capacity;
  }
}

/**
 * The `concat` layout: the graph writes `present` (past + new) into preallocated buffers that are fed back as the
 * next call's `past`; two buffers per tensor alternate because an output cannot alias an input there. Both grow
 * by doubling.
 */
class ConcatCache implements SequenceCache {
  length = 0;
  busy = false;
  capacity = 0;
  private past: Float32Array[] = [];
  private spare: Float32Array[] = [];

  constructor(
    private readonly shape: KvShape,
    private readonly count: number,
  ) {}

  bytes(): number {
    return [...this.past, ...this.spare].reduce((n, b) => n + b.byteLength, 0);
  }

  bind(
    feeds: Record<string, ort.Tensor>,
    fetches: Record<string, ort.Tensor | null>,
    total: number,
    names: { past: string[]; present: string[] },
  ): void {
    this.reserve(total);
    const { numKvHeads, headDim } = this.shape;
    const view = (buffer: Float32Array, length: number) =>
      new ort.Tensor("float32", buffer.subarray(0, numKvHeads * length * headDim), [
        1,
        numKvHeads,
        length,
        headDim,
      ]);
    for (let i = 0; i < this.count; i++) {
      feeds[names.past[i]!] = view(this.past[i]!, this.length);
      fetches[names.present[i]!] = view(this.spare[i]!, total);
    }
  }

  commit(total: number): void {
    [this.past, this.spare] = [this.spare, this.past];
    this.length = total;
  }

  /** The concat layout packs positions densely: buffer i is [kv_heads, length, head_dim] at its front. */
  buffers(): readonly Float32Array[] {
    return this.past;
  }

  reserve(total: number): void {
    if (total > this.capacity) this.grow(total);
  }

  private grow(total: number): void {
    const { numKvHeads, headDim, maxPositions } = this.shape;
    const capacity = Math.min(maxPositions, Math.max(total, this.capacity * 2, 16));
    const size = numKvHeads * capacity * headDim;
    const keep = numKvHeads * this.length * headDim;
    this.past = Array.from({ length: this.count }, (_, i) => {
      const buffer = new Float32Array(size);
      if (this.past[i]) buffer.set(this.past[i]!.subarray(0, keep));
      return buffer;
    });
    this.spare = Array.from({ length: this.count }, () => new Float32Array(size));
    this.capacity = capacity;
  }
}
