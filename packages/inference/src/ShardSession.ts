import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { TENSOR_NAMES } from "./buildShardGraph.js";
import { ForwardInputError, InferenceError, SequenceTooLongError } from "./errors.js";
import { float16ToFloat32Array } from "./float16.js";
import {
  type Bytes32,
  loadManifest,
  type Manifest,
  type ManifestShard,
  verifyShardFiles,
} from "./manifest.js";

export type ShardSessionCreateParams = {
  /** The shard folder written by `shardModel` (it holds manifest.json and the shard's files). */
  dir: string;
  shardIndex: number;
  /** The already loaded manifest; read from `dir` when omitted. */
  manifest?: Manifest;
  /** Hash the shard's files against the manifest before loading (default true). */
  verify?: boolean;
  /** onnxruntime intra-op threads; its default is one per core. */
  intraOpNumThreads?: number;
};

export type ForwardParams = {
  /** Which sequence's KV cache to extend; each id has its own cache. Default "default". */
  sessionId?: string;
  /** Token ids, on the first shard only. */
  inputIds?: ArrayLike<number>;
  /** Activations [seq, hidden] from the previous shard, on other shards: fp32, or fp16 bits as a Uint16Array. */
  hiddenStates?: Float32Array | Uint16Array;
  /** Absolute positions of the new tokens; default: continue after the cached ones. */
  positionIds?: ArrayLike<number>;
  /** Last shard: which of the new positions to return logits for (indices into this call). Default "last". */
  logits?: "last" | "all" | number[];
};

export type ForwardReturnType = {
  /** [seq, hidden] activations for the next shard (all shards but the last). */
  hiddenStates?: Float32Array;
  /** [n, vocab] logits of the requested positions (last shard only). */
  logits?: Float32Array;
  /** Positions held in this sequence's cache after the call. */
  cachedLength: number;
};

/** Double-buffered KV cache of one sequence: the present of a call is written into the buffers the past is not in. */
type KvCache = {
  length: number;
  capacity: number;
  past: Float32Array[];
  spare: Float32Array[];
  busy: boolean;
};

/**
 * One shard loaded in onnxruntime, serving any number of sequences, each with its own KV cache. Batch size 1:
 * each call extends one sequence by any number of positions (prefill, chunked prefill or a decode step).
 *
 * The cache never passes through JavaScript number arrays: onnxruntime writes each layer's present key/value
 * straight into preallocated Float32Array buffers (its preallocated-outputs feature), and those buffers are
 * fed back as the next call's past. Two buffers per tensor alternate because an output cannot alias an input.
 */
export class ShardSession {
  private readonly caches = new Map<string, KvCache>();
  readonly layers: number[];

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: Manifest,
    readonly shard: ManifestShard,
    /** The shard's weights hash, as verified (or as the manifest states when verification was skipped). */
    readonly weightsHash: Bytes32,
  ) {
    this.layers = Array.from({ length: shard.layerEnd - shard.layerStart }, (_, i) => shard.layerStart + i);
  }

  static async create(params: ShardSessionCreateParams): Promise<ShardSession> {
    const manifest = params.manifest ?? (await loadManifest(params.dir));
    const shard = manifest.shards[params.shardIndex];
    if (!shard) {
      throw new ForwardInputError(
        `shard ${params.shardIndex} does not exist (the manifest has ${manifest.shards.length})`,
      );
    }
    const weightsHash =
      params.verify === false
        ? (shard.weightsHash as Bytes32)
        : await verifyShardFiles(manifest, params.shardIndex, params.dir);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(join(params.dir, shard.graph), {
        graphOptimizationLevel: "all",
        executionMode: "sequential",
        logSeverityLevel: 3,
        // Shards of a chain run one after another; a finished shard's threads must sleep, not spin on the cores
        // the next shard needs.
        extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
        ...(params.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: params.intraOpNumThreads }),
      });
    } catch (cause) {
      throw new InferenceError(`onnxruntime could not load shard ${params.shardIndex}`, {
        cause,
        hint: "Check the shard files with verifyShardFiles; they may be corrupt or from another version.",
      });
    }
    return new ShardSession(session, manifest, shard, weightsHash);
  }

  get isFirst(): boolean {
    return this.shard.embedsTokens;
  }

  get isLast(): boolean {
    return this.shard.hasLmHead;
  }

  /** Bytes of KV cache one position takes in this shard (keys and values of all its layers, fp32). */
  get kvBytesPerToken(): number {
    const { numKvHeads, headDim } = this.manifest.config;
    return this.layers.length * 2 * numKvHeads * headDim * 4;
  }

  /** Bytes currently allocated for `sessionId`'s cache (both alternating buffers). */
  kvCacheBytes(sessionId = "default"): number {
    const cache = this.caches.get(sessionId);
    if (!cache) return 0;
    return [...cache.past, ...cache.spare].reduce((n, b) => n + b.byteLength, 0);
  }

  /** Positions cached for `sessionId` (0 for an unknown id). */
  cachedLength(sessionId = "default"): number {
    return this.caches.get(sessionId)?.length ?? 0;
  }

  /** Forgets `sessionId`'s cache; its next forward starts at position 0. */
  drop(sessionId = "default"): void {
    this.caches.delete(sessionId);
  }

  /** Frees the onnxruntime session and every cache. */
  async release(): Promise<void> {
    this.caches.clear();
    await this.session.release();
  }

  async forward(params: ForwardParams): Promise<ForwardReturnType> {
    const sessionId = params.sessionId ?? "default";
    const cache = this.caches.get(sessionId) ?? this.newCache();
    if (cache.busy) {
      throw new ForwardInputError(`sequence "${sessionId}" already has a forward call in flight`, {
        hint: "Await each call before the next one on the same sequence.",
      });
    }
    const { feeds, seq } = this.inputs(params, cache.length);
    const total = cache.length + seq;
    this.ensureCapacity(cache, total);
    const fetches = this.outputs(cache, total);
    cache.busy = true;
    this.caches.set(sessionId, cache);
    try {
      Object.assign(feeds, this.pastFeeds(cache));
      const result = await this.session.run(feeds, fetches);
      [cache.past, cache.spare] = [cache.spare, cache.past];
      cache.length = total;
      return this.isLast
        ? { logits: result[TENSOR_NAMES.logits]!.data as Float32Array, cachedLength: total }
        : { hiddenStates: result[TENSOR_NAMES.hiddenOut]!.data as Float32Array, cachedLength: total };
    } catch (cause) {
      throw new InferenceError(`shard ${this.shard.index} forward failed`, { cause });
    } finally {
      cache.busy = false;
    }
  }

  private newCache(): KvCache {
    return { length: 0, capacity: 0, past: [], spare: [], busy: false };
  }

  /** Validates the call and builds the non-cache feeds; `seq` is the number of new positions. */
  private inputs(params: ForwardParams, cached: number): { feeds: Record<string, ort.Tensor>; seq: number } {
    const { hiddenSize, maxPositions, vocabSize } = this.manifest.config;
    const feeds: Record<string, ort.Tensor> = {};
    let seq: number;
    if (this.isFirst) {
      if (!params.inputIds || params.hiddenStates) {
        throw new ForwardInputError("the first shard takes inputIds, not hiddenStates");
      }
      seq = params.inputIds.length;
      const ids = BigInt64Array.from(Array.from(params.inputIds), (id) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new ForwardInputError(`token id ${id} is outside the vocabulary [0, ${vocabSize})`);
        }
        return BigInt(id);
      });
      feeds[TENSOR_NAMES.inputIds] = new ort.Tensor("int64", ids, [1, seq]);
    } else {
      if (!params.hiddenStates || params.inputIds) {
        throw new ForwardInputError(
          `shard ${this.shard.index} takes hiddenStates from the previous shard, not inputIds`,
        );
      }
      const hidden =
        params.hiddenStates instanceof Uint16Array
          ? float16ToFloat32Array(params.hiddenStates)
          : params.hiddenStates;
      seq = hidden.length / hiddenSize;
      if (!Number.isInteger(seq)) {
        throw new ForwardInputError(
          `hiddenStates has ${hidden.length} values, not a multiple of hidden size ${hiddenSize}`,
        );
      }
      feeds[TENSOR_NAMES.hiddenIn] = new ort.Tensor("float32", hidden, [1, seq, hiddenSize]);
    }
    if (seq === 0) throw new ForwardInputError("a forward call needs at least one position");
    if (cached + seq > maxPositions) {
      throw new SequenceTooLongError(
        `sequence of ${cached + seq} positions exceeds the model's maximum of ${maxPositions}`,
        { hint: "Shorten the prompt or lower max tokens." },
      );
    }
    feeds[TENSOR_NAMES.positionIds] = new ort.Tensor(
      "int64",
      this.positions(params.positionIds, cached, seq),
      [1, seq],
    );
    feeds[TENSOR_NAMES.attentionMask] = new ort.Tensor("int64", new BigInt64Array(cached + seq).fill(1n), [
      1,
      cached + seq,
    ]);
    if (this.isLast) {
      const indices = logitIndices(params.logits ?? "last", seq);
      feeds[TENSOR_NAMES.logitsIndices] = new ort.Tensor("int64", indices, [indices.length]);
    }
    return { feeds, seq };
  }

  private positions(given: ArrayLike<number> | undefined, cached: number, seq: number): BigInt64Array {
    if (given === undefined) return BigInt64Array.from({ length: seq }, (_, i) => BigInt(cached + i));
    if (given.length !== seq)
      throw new ForwardInputError(`positionIds has ${given.length} entries for ${seq} positions`);
    return BigInt64Array.from(Array.from(given), (p) => {
      if (!Number.isInteger(p) || p < 0 || p >= this.manifest.config.maxPositions) {
        throw new ForwardInputError(`position id ${p} is outside [0, ${this.manifest.config.maxPositions})`);
      }
      return BigInt(p);
    });
  }

  /** Grows both buffer sets to hold `total` positions, doubling so a long decode reallocates O(log n) times. */
  private ensureCapacity(cache: KvCache, total: number): void {
    if (total <= cache.capacity) return;
    const { numKvHeads, headDim, maxPositions } = this.manifest.config;
    const capacity = Math.min(maxPositions, Math.max(total, cache.capacity * 2, 16));
    const size = numKvHeads * capacity * headDim;
    const grow = (old: Float32Array | undefined) => {
      const buffer = new Float32Array(size);
      if (old) buffer.set(old.subarray(0, numKvHeads * cache.length * headDim));
      return buffer;
    };
    const count = this.layers.length * 2;
    cache.past = Array.from({ length: count }, (_, i) => grow(cache.past[i]));
    cache.spare = Array.from({ length: count }, () => new Float32Array(size));
    cache.capacity = capacity;
  }

  private pastFeeds(cache: KvCache): Record<string, ort.Tensor> {
    return this.kvTensors(cache.past, cache.length, (layer) => [
      TENSOR_NAMES.pastKey(layer),
      TENSOR_NAMES.pastValue(layer),
    ]);
  }

  private outputs(cache: KvCache, total: number): Record<string, ort.Tensor | null> {
    const fetches: Record<string, ort.Tensor | null> = this.kvTensors(cache.spare, total, (layer) => [
      TENSOR_NAMES.presentKey(layer),
      TENSOR_NAMES.presentValue(layer),
    ]);
    fetches[this.isLast ? TENSOR_NAMES.logits : TENSOR_NAMES.hiddenOut] = null;
    return fetches;
  }

  /** [1, kv_heads, length, head_dim] views over the front of each layer's key and value buffers. */
  private kvTensors(
    buffers: Float32Array[],
    length: number,
    names: (layer: number) => [string, string],
  ): Record<string, ort.Tensor> {
    const { numKvHeads, headDim } = this.manifest.config;
    const size = numKvHeads * length * headDim;
    const out: Record<string, ort.Tensor> = {};
    this.layers.forEach((layer, i) => {
      const [key, value] = names(layer);
      out[key] = new ort.Tensor("float32", buffers[2 * i]!.subarray(0, size), [
        1,
        numKvHeads,
        length,
        headDim,
      ]);
      out[value] = new ort.Tensor("float32", buffers[2 * i + 1]!.subarray(0, size), [
        1,
        numKvHeads,
        length,
        headDim,
      ]);
    });
    return out;
  }
}

function logitIndices(which: "last" | "all" | number[], seq: number): BigInt64Array {
  if (which === "last") return BigInt64Array.from([BigInt(seq - 1)]);
  if (which === "all") return BigInt64Array.from({ length: seq }, (_, i) => BigInt(i));
  if (which.length === 0) throw new ForwardInputError("logits needs at least one position index");
  return BigInt64Array.from(which, (i) => {
    if (!Number.isInteger(i) || i < 0 || i >= seq) {
      throw new ForwardInputError(`logits index ${i} is outside this call's ${seq} positions`);
    }
    return BigInt(i);
  });
}
