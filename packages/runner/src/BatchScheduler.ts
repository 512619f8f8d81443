import type { BatchStepResult, ForwardParams, ForwardReturnType } from "@teetee/inference";
import { RunnerFullError } from "./errors.js";
import { groupBytes, planDecodeGroups } from "./planDecodeGroups.js";

/** What the scheduler needs of a shard (a `ShardSession`): one onnxruntime call over several sequences. */
export type BatchShard = {
  forwardBatch: (steps: readonly ForwardParams[]) => Promise<BatchStepResult[]>;
  /** Bytes one decode step of the session binds in a batched call's shared buffers (see `planDecodeGroups`). */
  batchBufferBytesPerStep: (sessionId: string) => number;
  /** Frees the shared batch buffers. */
  releaseBatchBuffers: () => void;
};

export type BatchLimits = {
  /** Sequences per shard call. */
  maxBatchSize: number;
  /** Positions per shard call, decode steps and prefill chunks together. */
  maxBatchPositions: number;
  /** A step longer than this is computed in chunks of at most this many positions, over several batches. */
  prefillChunk: number;
  /** Steps waiting for a batch; one more is refused with a 503 and a retry hint. */
  maxQueuedSteps: number;
  /**
   * Bytes of the shared buffers a batched decode call gathers its sequences' caches into: a batch's decode steps
   * run as several calls when one would bind more (a single step that alone binds more runs alone).
   */
  batchKvBytes: number;
};

export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  maxBatchSize: 16,
  maxBatchPositions: 256,
  prefillChunk: 128,
  maxQueuedSteps: 256,
  // A quarter of the runner's default 2 GiB of KV cache.
  batchKvBytes: 512 * 1024 ** 2,
};

/** One frame's computation: a session's next positions, as token ids (shard 0) or activation rows. */
export type BatchStep = {
  sessionId: string;
  kind: "prefill" | "decode";
  input: { inputIds: Uint32Array } | { hiddenStates: Float32Array | Uint16Array };
  /** Positions the step carries. */
  count: number;
};

/** What a batch did, for metrics. */
export type BatchObservation = { size: number; positions: number; seconds: number; queuedSeconds: number[] };

export type BatchSchedulerParameters = {
  shard: BatchShard;
  /** Width of an activation row, to cut activations into chunks. */
  hiddenSize: number;
  limits: BatchLimits;
  /** Hears of every batch run (sizes and times); default: nothing. */
  observe?: (batch: BatchObservation) => void;
  /** Milliseconds clock; default `performance.now`. */
  now?: () => number;
};

/** The scheduler's load, as `/v1/load` publishes it. */
export type SchedulerLoad = {
  queuedSteps: number;
  queuedPositions: number;
  lastBatchSize: number;
  utilization: number;
  windowSeconds: number;
};

type Entry = {
  step: BatchStep;
  /** Positions already computed (earlier chunks). */
  done: number;
  hidden: Float32Array[];
  enqueuedAt: number;
  resolve: (value: ForwardReturnType) => void;
  reject: (error: Error) => void;
};

type Chunk = { entry: Entry; start: number; end: number };

/** Utilization and drain rate look back this far. */
const WINDOW_MS = 10_000;

/**
 * Continuous batching over one shard: frames submit their steps and await them; steps that arrive while a batch
 * computes join the next one. One batch runs at a time. Each batch takes decode steps first, in arrival order,
 * then one chunk of each waiting prefill in turn (a prefill computed in part goes to the back), within the
 * sequence and position budgets, never two steps of one session. A prefill longer than `prefillChunk` is
 * computed over several batches, so a long prompt never stalls everyone's decode; its caller hears once, after
 * the last chunk (logits of that chunk only; activations of all chunks, in order). A step that fails fails
 * only its own caller.
 *
 * A batch's single-position steps (those the shard gathers into shared batch buffers) are split by
 * {@link planDecodeGroups} into consecutive shard calls whose buffers fit `batchKvBytes`; the prefill chunks ride
 * with the last call. The shard's batch buffers are freed when no step is waiting, and at once after a call whose
 * lone step bound more than `batchKvBytes`, so neither a past burst nor one long sequence pins its peak.
 */
export class BatchScheduler {
  readonly limits: BatchLimits;
  readonly #p: BatchSchedulerParameters;
  readonly #now: () => number;
  readonly #decodes: Entry[] = [];
  readonly #prefills: Entry[] = [];
  #running = false;
  #lastBatchSize = 0;
  /** Compute intervals [start, end] and step completion times of the last window, for load and retry hints. */
  readonly #busy: Array<[number, number]> = [];
  readonly #completed: number[] = [];

  constructor(params: BatchSchedulerParameters) {
    for (const [name, value] of Object.entries(params.limits)) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    this.#p = params;
    this.limits = params.limits;
    this.#now = params.now ?? (() => performance.now());
  }

  /** Steps waiting for a batch (a prefill partly computed counts until its last chunk starts). */
  get queuedSteps(): number {
    return this.#decodes.length + this.#prefills.length;
  }

  /** Compute intervals and completion times kept for the load window: those of the last window only. */
  get windowRecords(): number {
    return this.#busy.length + this.#completed.length;
  }

  /**
   * Computes `step` in the next batch that has room and resolves with its result; throws {@link RunnerFullError}
   * (503, with `retryAfterSeconds`) at once when `maxQueuedSteps` steps are waiting.
   */
  submit(step: BatchStep): Promise<ForwardReturnType> {
    if (this.queuedSteps >= this.limits.maxQueuedSteps) {
      return Promise.reject(
        new RunnerFullError(`This runner's queue holds its maximum of ${this.limits.maxQueuedSteps} steps`, {
          retryAfterSeconds: this.retryAfterSeconds(),
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const entry: Entry = { step, done: 0, hidden: [], enqueuedAt: this.#now(), resolve, reject };
      (step.kind === "decode" ? this.#decodes : this.#prefills).push(entry);
      this.#kick();
    });
  }

  /**
   * Whole seconds after which a refused frame may find room: the waiting steps over the rate steps completed in
   * the last window, at least 1.
   */
  retryAfterSeconds(): number {
    this.#trim();
    const perSecond = this.#completed.length / (WINDOW_MS / 1000);
    if (perSecond === 0) return 1;
    return Math.max(1, Math.ceil((this.queuedSteps + 1) / perSecond));
  }

  load(): SchedulerLoad {
    this.#trim();
    const now = this.#now();
    const from = now - WINDOW_MS;
    let busy = 0;
    for (const [start, end] of this.#busy) busy += Math.max(0, end - Math.max(start, from));
    if (this.#running && this.#runningSince !== undefined) busy += now - Math.max(this.#runningSince, from);
    let queuedPositions = 0;
    for (const entry of [...this.#decodes, ...this.#prefills])
      queuedPositions += entry.step.count - entry.done;
    return {
      queuedSteps: this.queuedSteps,
      queuedPositions,
      lastBatchSize: this.#lastBatchSize,
      utilization: Math.min(1, busy / WINDOW_MS),
      windowSeconds: WINDOW_MS / 1000,
    };
  }

  #runningSince: number | undefined;

  #kick(): void {
    if (this.#running) return;
    // Steps submitted in the same tick as this one join its batch.
    this.#running = true;
    queueMicrotask(() => void this.#loop());
  }

  async #loop(): Promise<void> {
    try {
      for (;;) {
        const batch = this.#take();
        if (batch.length === 0) break;
        await this.#run(batch);
      }
      this.#p.shard.releaseBatchBuffers();
    } finally {
      this.#running = false;
      this.#runningSince = undefined;
    }
  }

  /** The next batch: decode steps in arrival order, then prefill chunks in turn, within the budgets. */
  #take(): Chunk[] {
    const { maxBatchSize, maxBatchPositions, prefillChunk } = this.limits;
    const batch: Chunk[] = [];
    const sessions = new Set<string>();
    let positions = 0;
    for (const queue of [this.#decodes, this.#prefills]) {
      const kept: Entry[] = [];
      while (queue.length > 0) {
        const entry = queue.shift()!;
        const room = Math.min(prefillChunk, maxBatchPositions - positions, entry.step.count - entry.done);
        if (batch.length >= maxBatchSize || room < 1 || sessions.has(entry.step.sessionId)) {
          kept.push(entry);
          continue;
        }
        sessions.add(entry.step.sessionId);
        batch.push({ entry, start: entry.done, end: entry.done + room });
        positions += room;
      }
      queue.push(...kept);
    }
    return batch;
  }

  async #run(batch: Chunk[]): Promise<void> {
    const started = this.#now();
    this.#runningSince = started;
    const results = new Map<Chunk, BatchStepResult>();
    for (const call of this.#calls(batch)) {
      for (const [i, result] of (await this.#call(call)).entries()) results.set(call[i]!, result);
    }
    const ended = this.#now();
    this.#busy.push([started, ended]);
    this.#lastBatchSize = batch.length;
    this.#p.observe?.({
      size: batch.length,
      positions: batch.reduce((sum, chunk) => sum + chunk.end - chunk.start, 0),
      seconds: (ended - started) / 1000,
      queuedSeconds: batch.filter((c) => c.start === 0).map((c) => (started - c.entry.enqueuedAt) / 1000),
    });
    for (const chunk of batch) this.#settle(chunk, results.get(chunk)!, ended);
    // Trimmed as they grow, not only when load is read: a runner nobody polls must not keep every batch.
    this.#trim();
  }

  /** The batch as shard calls: its single-position steps in groups whose batch buffers fit, prefills in the last. */
  #calls(batch: Chunk[]): Chunk[][] {
    const bytes = (chunk: Chunk) => this.#bufferBytes(chunk);
    const gathered = batch.filter((chunk) => chunk.end - chunk.start === 1);
    const alone = batch.filter((chunk) => chunk.end - chunk.start !== 1);
    const calls = planDecodeGroups(gathered, bytes, this.limits.batchKvBytes);
    if (calls.length === 0) return [alone];
    calls.at(-1)!.push(...alone);
    return calls;
  }

  /** One shard call; a call that throws fails each of its steps. Frees buffers a too-wide lone step left. */
  async #call(call: Chunk[]): Promise<BatchStepResult[]> {
    // Measured before the call: the steps' caches grow by it.
    const bound = groupBytes(call, (chunk) => this.#bufferBytes(chunk));
    try {
      const results = await this.#p.shard.forwardBatch(call.map((chunk) => this.#params(chunk)));
      if (results.length !== call.length)
        throw new Error(`forwardBatch answered ${results.length} results for ${call.length} steps`);
      return results;
    } catch (error) {
      return call.map(() => ({ ok: false, error: error as Error }));
    } finally {
      if (bound > this.limits.batchKvBytes) this.#p.shard.releaseBatchBuffers();
    }
  }

  /** Bytes a chunk binds in a batched call's buffers: only single-position steps are gathered there. */
  #bufferBytes(chunk: Chunk): number {
    if (chunk.end - chunk.start !== 1) return 0;
    return this.#p.shard.batchBufferBytesPerStep(chunk.entry.step.sessionId);
  }

  #params({ entry, start, end }: Chunk): ForwardParams {
    const { step } = entry;
    const whole = start === 0 && end === step.count;
    if ("inputIds" in step.input) {
      const inputIds = whole ? step.input.inputIds : step.input.inputIds.subarray(start, end);
      return { sessionId: step.sessionId, inputIds, logits: "last" };
    }
    const width = this.#p.hiddenSize;
    const rows = step.input.hiddenStates;
    const hiddenStates = whole ? rows : rows.subarray(start * width, end * width);
    return { sessionId: step.sessionId, hiddenStates, logits: "last" };
  }

  #settle(chunk: Chunk, result: BatchStepResult, now: number): void {
    const { entry } = chunk;
    if (!result.ok) {
      entry.reject(result.error);
      return;
    }
    entry.done = chunk.end;
    const { value } = result;
    if (value.hiddenStates !== undefined) entry.hidden.push(value.hiddenStates);
    if (entry.done < entry.step.count) {
      this.#prefills.push(entry);
      return;
    }
    this.#completed.push(now);
    entry.resolve(entry.hidden.length > 1 ? { ...value, hiddenStates: concat(entry.hidden) } : value);
  }

  #trim(): void {
    const from = this.#now() - WINDOW_MS;
    while (this.#busy.length > 0 && this.#busy[0]![1] < from) this.#busy.shift();
    while (this.#completed.length > 0 && this.#completed[0]! < from) this.#completed.shift();
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
