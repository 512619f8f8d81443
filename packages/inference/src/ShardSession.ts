import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { BatchBuffers, batchCapacity } from "./batchBuffers.js";
import { TENSOR_NAMES } from "./buildShardGraph.js";
import { ForwardInputError, InferenceError, SequenceTooLongError } from "./errors.js";
import { float16ToFloat32Array } from "./float16.js";
import type { KvCacheLayout } from "./kvCacheLayout.js";
import { type Bytes32, kvCacheOf, loadManifest, type Manifest, type ManifestShard } from "./manifest.js";
import { newSequenceCache, type SequenceCache } from "./sequenceCache.js";
import { verifyShardFiles } from "./verifyShardFiles.js";

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

/** One step of {@link ShardSession.forwardBatch}: its result, or why this step alone was refused or failed. */
export type BatchStepResult = { ok: true; value: ForwardReturnType } | { ok: false; error: Error };

/** One sequence's KV cache as `ShardSession.kvCacheView` shows it. */
export type KvCacheView = {
  layout: KvCacheLayout;
  /** Positions cached. */
  length: number;
  /** Positions the buffers hold before they grow. */
  capacity: number;
  /**
   * Key and value buffers per layer of the shard (key, value, key, value, ...), each [kv_heads, stride, head_dim]:
   * `stride` is `capacity` for `inPlace` (the very buffers onnxruntime writes into) and `length` for `concat`.
   */
  buffers: readonly Float32Array[];
  stride: number;
};

/**
 * One shard loaded in onnxruntime, serving any number of sequences, each with its own KV cache. Batch size 1:
 * each call extends one sequence by any number of positions (prefill, chunked prefill or a decode step).
 *
 * The cache never passes through JavaScript number arrays: onnxruntime writes each layer's keys and values straight
 * into preallocated Float32Array buffers (its preallocated-outputs feature). With the `inPlace` layout one buffer
 * per tensor is both the past fed and the present fetched, and `GroupQueryAttention` writes only the new positions
 * into it; with `concat` the graph writes past + new into a second buffer and the two alternate (see
 * `sequenceCache.ts`). onnxruntime-node 1.30 also hands back each pre-allocated output as a fresh copy, dropped
 * unread here; avoiding it needs a binding that returns the caller's buffers (microsoft/onnxruntime#32346).
 *
 * A call's fixed cost is kept small because a chain pays it once per shard per token: tensor names are built
 * once, the all-ones attention mask is a view of one kept buffer, and a decode step allocates only its position
 * and token ids (and the tensor objects onnxruntime's API takes).
 */
export class ShardSession {
  #released = false;
  private readonly caches = new Map<string, SequenceCache>();
  private readonly kvCache: KvCacheLayout;
  /** Feed and fetch names of the cache tensors, in buffer order (key, value per layer), built once. */
  private readonly pastNames: string[];
  private readonly presentNames: string[];
  private ones = new BigInt64Array(0);
  private readonly batchBuffers: BatchBuffers;
  #runs = 0;
  readonly layers: number[];

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: Manifest,
    readonly shard: ManifestShard,
    /** The shard's weights hash, as verified (or as the manifest states when verification was skipped). */
    readonly weightsHash: Bytes32,
  ) {
    this.layers = Array.from({ length: shard.layerEnd - shard.layerStart }, (_, i) => shard.layerStart + i);
    this.pastNames = this.layers.flatMap((l) => [TENSOR_NAMES.pastKey(l), TENSOR_NAMES.pastValue(l)]);
    this.presentNames = this.layers.flatMap((l) => [
      TENSOR_NAMES.presentKey(l),
      TENSOR_NAMES.presentValue(l),
    ]);
    this.kvCache = kvCacheOf(manifest);
    const { numKvHeads, headDim, maxPositions } = manifest.config;
    this.batchBuffers = new BatchBuffers({ numKvHeads, headDim, maxPositions }, this.pastNames.length);
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

  /** Bytes currently allocated for `sessionId`'s cache (with the `concat` layout, both alternating buffers). */
  kvCacheBytes(sessionId = "default"): number {
    return this.caches.get(sessionId)?.bytes() ?? 0;
  }

  /** The buffers holding `sessionId`'s cache, for diagnostics and tests (undefined for an unknown id). */
  kvCacheView(sessionId = "default"): KvCacheView | undefined {
    const cache = this.caches.get(sessionId);
    if (!cache) return undefined;
    const { length, capacity } = cache;
    const stride = this.kvCache === "inPlace" ? capacity : length;
    return { layout: this.kvCache, length, capacity, buffers: cache.buffers(), stride };
  }

  /** Positions cached for `sessionId` (0 for an unknown id). */
  cachedLength(sessionId = "default"): number {
    return this.caches.get(sessionId)?.length ?? 0;
  }

  /**
   * Bytes `sessionId`'s cache would hold once it caches `total` positions (growth included, as this layout grows):
   * what a runner reserves against its KV memory limit before it accepts a frame.
   */
  projectedKvBytes(sessionId: string, total: number): number {
    const current = this.kvCacheBytes(sessionId);
    const perPosition = (this.kvCache === "concat" ? 2 : 1) * this.kvBytesPerToken;
    const capacity = current / perPosition;
    if (total <= capacity) return current;
    const { maxPositions } = this.manifest.config;
    const grown =
      this.kvCache === "concat"
        ? Math.min(maxPositions, Math.max(total, capacity * 2, 16))
        : Math.min(maxPositions, Math.ceil((total * 1.125) / 32) * 32);
    return grown * perPosition;
  }

  /**
   * Bytes one decode step of `sessionId` binds in a batched call's shared buffers, as wide as the call's longest
   * sequence (so a call of B steps binds B times its widest step's bytes). 0 with the `concat` layout, whose steps
   * run one by one in their own caches.
   */
  batchBufferBytesPerStep(sessionId: string): number {
    if (this.kvCache !== "inPlace") return 0;
    return (
      batchCapacity(this.cachedLength(sessionId) + 1, this.manifest.config.maxPositions) *
      this.kvBytesPerToken
    );
  }

  /** Bytes the shared buffers of batched decode calls hold now (outside every sequence's own cache). */
  get batchBufferBytes(): number {
    return this.batchBuffers.bytes();
  }

  /** The most bytes the shared batch buffers have held at once since the shard was loaded. */
  get batchBufferPeakBytes(): number {
    return this.batchBuffers.peakBytes;
  }

  /** Frees the shared batch buffers (the next batched call allocates what it needs). */
  releaseBatchBuffers(): void {
    this.batchBuffers.release();
  }

  /** Forgets `sessionId`'s cache; its next forward starts at position 0. */
  drop(sessionId = "default"): void {
    this.caches.delete(sessionId);
  }

  /** Frees the onnxruntime session and every cache. */
  async release(): Promise<void> {
    this.#released = true;
    this.caches.clear();
    this.batchBuffers.release();
    await this.session.release();
  }

  /** onnxruntime calls made so far: a batch of decode steps is one (for metrics, and tests of the batching). */
  get runCount(): number {
    return this.#runs;
  }

  /** Whether {@link release} ran: the onnxruntime session is gone and no forward can run. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Runs one step of each of several sequences (decode steps and prefill chunks, distinct session ids) and returns
   * each step's result in order. A step that is refused (bad input, unknown or busy sequence, too long) fails alone;
   * the others still run. A sequence's outputs do not depend on what it was batched with.
   *
   * With the `inPlace` layout, the decode steps (one position each, one logits row) run as ONE onnxruntime call of
   * batch B: their caches are gathered into shared batch buffers (`BatchBuffers`), `seqlens_k` carries each one's
   * length, and only the new position goes back into each sequence's cache. Prefill chunks (several positions) and
   * every step of the `concat` layout run one by one, after the batch, in order.
   */
  async forwardBatch(steps: readonly ForwardParams[]): Promise<BatchStepResult[]> {
    const results: (BatchStepResult | undefined)[] = new Array(steps.length);
    const seen = new Set<string>();
    const decode: PreparedStep[] = [];
    const alone: number[] = [];
    steps.forEach((step, index) => {
      const sessionId = step.sessionId ?? "default";
      if (seen.has(sessionId)) {
        const error = new ForwardInputError(`sequence "${sessionId}" appears twice in one batch`, {
          hint: "Send one step per sequence per batch.",
        });
        results[index] = { ok: false, error };
        return;
      }
      seen.add(sessionId);
      try {
        const prepared = this.kvCache === "inPlace" ? this.prepare(step, sessionId, index) : undefined;
        if (prepared) decode.push(prepared);
        else alone.push(index);
      } catch (error) {
        results[index] = { ok: false, error: error as Error };
      }
    });
    if (decode.length > 0) await this.runDecodeBatch(decode, results);
    for (const index of alone) {
      try {
        results[index] = { ok: true, value: await this.forward(steps[index]!) };
      } catch (error) {
        results[index] = { ok: false, error: error as Error };
      }
    }
    return results as BatchStepResult[];
  }

  /** Validates a step; returns it ready for the batched call when it is a decode step, undefined otherwise. */
  private prepare(params: ForwardParams, sessionId: string, index: number): PreparedStep | undefined {
    const cache = this.caches.get(sessionId) ?? this.newCache();
    if (cache.busy) {
      throw new ForwardInputError(`sequence "${sessionId}" already has a forward call in flight`, {
        hint: "Await each call before the next one on the same sequence.",
      });
    }
    const { feeds, seq } = this.inputs(params, cache.length);
    const indices = feeds[TENSOR_NAMES.logitsIndices];
    if (seq !== 1 || (indices && indices.size !== 1)) return undefined;
    return { index, sessionId, cache, feeds };
  }

  /** One onnxruntime call of batch `steps.length` for decode steps; writes each step's result at its index. */
  private async runDecodeBatch(
    steps: PreparedStep[],
    results: (BatchStepResult | undefined)[],
  ): Promise<void> {
    const n = TENSOR_NAMES;
    const caches = steps.map((s) => s.cache);
    const totals = caches.map((c) => c.length + 1);
    const batch = steps.length;
    const column = (name: string) => steps.map((s) => s.feeds[name]!.data as BigInt64Array);
    const feeds: Record<string, ort.Tensor> = {
      [n.positionIds]: new ort.Tensor("int64", concatInt64(column(n.positionIds)), [batch, 1]),
      [n.seqlensK]: new ort.Tensor(
        "int32",
        Int32Array.from(totals, (t) => t - 1),
        [batch],
      ),
      [n.totalSequenceLength]: new ort.Tensor("int32", Int32Array.of(Math.max(...totals)), []),
    };
    if (this.isFirst) {
      feeds[n.inputIds] = new ort.Tensor("int64", concatInt64(column(n.inputIds)), [batch, 1]);
    } else {
      const { hiddenSize } = this.manifest.config;
      const hidden = new Float32Array(batch * hiddenSize);
      for (const [b, s] of steps.entries())
        hidden.set(s.feeds[n.hiddenIn]!.data as Float32Array, b * hiddenSize);
      feeds[n.hiddenIn] = new ort.Tensor("float32", hidden, [batch, 1, hiddenSize]);
    }
    if (this.isLast) feeds[n.logitsIndices] = new ort.Tensor("int64", BigInt64Array.of(0n), [1]);
    const output = this.isLast ? n.logits : n.hiddenOut;
    const fetches: Record<string, ort.Tensor | null> = { [output]: null };
    for (const s of steps) {
      s.cache.busy = true;
      this.caches.set(s.sessionId, s.cache);
    }
    try {
      const { tensors, capacity } = this.batchBuffers.gather(caches, totals);
      tensors.forEach((t, i) => {
        feeds[this.pastNames[i]!] = t;
        fetches[this.presentNames[i]!] = t;
      });
      this.#runs++;
      const data = (await this.session.run(feeds, fetches))[output]!.data as Float32Array;
      this.batchBuffers.scatter(caches, totals, capacity);
      const width = data.length / batch;
      steps.forEach((s, b) => {
        s.cache.commit(totals[b]!);
        const row = data.slice(b * width, (b + 1) * width);
        const value = this.isLast
          ? { logits: row, cachedLength: totals[b]! }
          : { hiddenStates: row, cachedLength: totals[b]! };
        results[s.index] = { ok: true, value };
      });
    } catch (cause) {
      const error = new InferenceError(`shard ${this.shard.index} batched forward failed`, { cause });
      for (const s of steps) results[s.index] = { ok: false, error };
    } finally {
      for (const s of steps) s.cache.busy = false;
    }
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
    const fetches: Record<string, ort.Tensor | null> = {
      [this.isLast ? TENSOR_NAMES.logits : TENSOR_NAMES.hiddenOut]: null,
    };
    cache.bind(feeds, fetches, total, { past: this.pastNames, present: this.presentNames });
    cache.busy = true;
    this.caches.set(sessionId, cache);
    try {
      this.#runs++;
      const result = await this.session.run(feeds, fetches);
      cache.commit(total);
      return this.isLast
        ? { logits: result[TENSOR_NAMES.logits]!.data as Float32Array, cachedLength: total }
        : { hiddenStates: result[TENSOR_NAMES.hiddenOut]!.data as Float32Array, cachedLength: total };
    } catch (cause) {
      throw new InferenceError(`shard ${this.shard.index} forward failed`, { cause });
    } finally {
      cache.busy = false;
    }
  }

  private newCache(): SequenceCache {
    const { numKvHeads, headDim, maxPositions } = this.manifest.config;
    return newSequenceCache(this.kvCache, { numKvHeads, headDim, maxPositions }, this.pastNames.length);
  }

  /** Validates the call and builds the non-cache feeds; `seq` is the number of new positions. */
  private inputs(params: ForwardParams, cached: number): { feeds: Record<string, ort.Tensor>; seq: number } {
    const feeds: Record<string, ort.Tensor> = {};
    const seq = this.isFirst ? this.addTokenIds(feeds, params) : this.addHiddenStates(feeds, params);
    if (seq === 0) throw new ForwardInputError("a forward call needs at least one position");
    const total = cached + seq;
    if (total > this.manifest.config.maxPositions) {
      throw new SequenceTooLongError(
        `sequence of ${total} positions exceeds the model's maximum of ${this.manifest.config.maxPositions}`,
        { hint: "Shorten the prompt or lower max tokens." },
      );
    }
    feeds[TENSOR_NAMES.positionIds] = tensor("int64", this.positions(params.positionIds, cached, seq), [
      1,
      seq,
    ]);
    if (this.kvCache === "inPlace") {
      feeds[TENSOR_NAMES.seqlensK] = new ort.Tensor("int32", Int32Array.of(total - 1), [1]);
      feeds[TENSOR_NAMES.totalSequenceLength] = new ort.Tensor("int32", Int32Array.of(total), []);
    } else {
      feeds[TENSOR_NAMES.attentionMask] = tensor("int64", this.onesMask(total), [1, total]);
    }
    if (this.isLast) {
      const indices = logitIndices(params.logits ?? "last", seq);
      feeds[TENSOR_NAMES.logitsIndices] = tensor("int64", indices, [indices.length]);
    }
    return { feeds, seq };
  }

  /** First shard: `input_ids` from the call's token ids; returns their count. */
  private addTokenIds(feeds: Record<string, ort.Tensor>, params: ForwardParams): number {
    if (!params.inputIds || params.hiddenStates) {
      throw new ForwardInputError("the first shard takes inputIds, not hiddenStates");
    }
    const { vocabSize } = this.manifest.config;
    const ids = toInt64(params.inputIds, (id) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new ForwardInputError(`token id ${id} is outside the vocabulary [0, ${vocabSize})`);
      }
    });
    feeds[TENSOR_NAMES.inputIds] = tensor("int64", ids, [1, ids.length]);
    return ids.length;
  }

  /** Other shards: `hidden_states` from the previous shard's activations; returns their position count. */
  private addHiddenStates(feeds: Record<string, ort.Tensor>, params: ForwardParams): number {
    if (!params.hiddenStates || params.inputIds) {
      throw new ForwardInputError(
        `shard ${this.shard.index} takes hiddenStates from the previous shard, not inputIds`,
      );
    }
    const { hiddenSize } = this.manifest.config;
    const hidden =
      params.hiddenStates instanceof Uint16Array
        ? float16ToFloat32Array(params.hiddenStates)
        : params.hiddenStates;
    const seq = hidden.length / hiddenSize;
    if (!Number.isInteger(seq)) {
      throw new ForwardInputError(
        `hiddenStates has ${hidden.length} values, not a multiple of hidden size ${hiddenSize}`,
      );
    }
    feeds[TENSOR_NAMES.hiddenIn] = tensor("float32", hidden, [1, seq, hiddenSize]);
    return seq;
  }

  private positions(given: ArrayLike<number> | undefined, cached: number, seq: number): BigInt64Array {
    if (given === undefined) {
      const positions = new BigInt64Array(seq);
      for (let i = 0; i < seq; i++) positions[i] = BigInt(cached + i);
      return positions;
    }
    if (given.length !== seq)
      throw new ForwardInputError(`positionIds has ${given.length} entries for ${seq} positions`);
    const { maxPositions } = this.manifest.config;
    const positions = toInt64(given, (p) => {
      if (!Number.isInteger(p) || p < 0 || p >= maxPositions) {
        throw new ForwardInputError(`position id ${p} is outside [0, ${maxPositions})`);
      }
    });
    if (this.kvCache === "inPlace" && cached === 0) checkConsecutive(given);
    return positions;
  }

  /**
   * An all-ones `attention_mask` of `total` positions: a view of one buffer the session keeps (onnxruntime only
   * reads it), grown by doubling, so a decode step does not allocate and fill a new one.
   */
  private onesMask(total: number): BigInt64Array {
    if (this.ones.length < total) {
      const length = Math.min(this.manifest.config.maxPositions, Math.max(total, this.ones.length * 2, 64));
      this.ones = new BigInt64Array(length).fill(1n);
    }
    return this.ones.subarray(0, total);
  }
}

/** A validated decode step of a batch: where its result goes, and its own (batch-1) feeds to merge. */
type PreparedStep = {
  index: number;
  sessionId: string;
  cache: SequenceCache;
  feeds: Record<string, ort.Tensor>;
};

function concatInt64(parts: readonly BigInt64Array[]): BigInt64Array {
  const out = new BigInt64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * `GroupQueryAttention` rotates a sequence's first call (its prompt) from `position_ids[0]` on, reading no other
 * entry; later calls' positions are read one by one. So a first call must be consecutive positions.
 */
function checkConsecutive(given: ArrayLike<number>): void {
  for (let i = 1; i < given.length; i++) {
    if (given[i] !== given[0]! + i) {
      throw new ForwardInputError(
        `a sequence's first call must have consecutive position ids; got ${given[i]} after ${given[i - 1]}`,
        { hint: "Start the sequence with one position, then send the others (any order) in later calls." },
      );
    }
  }
}

function tensor(type: "float32", data: Float32Array, dims: readonly number[]): ort.Tensor;
function tensor(type: "int64", data: BigInt64Array, dims: readonly number[]): ort.Tensor;
function tensor(
  type: "float32" | "int64",
  data: Float32Array | BigInt64Array,
  dims: readonly number[],
): ort.Tensor {
  return new ort.Tensor(type, data, dims);
}

/** Validated copy of `values` as int64; `check` throws on a value it refuses. */
function toInt64(values: ArrayLike<number>, check: (value: number) => void): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    check(value);
    out[i] = BigInt(value);
  }
  return out;
}

function logitIndices(which: "last" | "all" | number[], seq: number): BigInt64Array {
  if (which === "last") return BigInt64Array.of(BigInt(seq - 1));
  if (which === "all") return BigInt64Array.from({ length: seq }, (_, i) => BigInt(i));
  if (which.length === 0) throw new ForwardInputError("logits needs at least one position index");
  return toInt64(which, (i) => {
    if (!Number.isInteger(i) || i < 0 || i >= seq) {
      throw new ForwardInputError(`logits index ${i} is outside this call's ${seq} positions`);
    }
  });
}
