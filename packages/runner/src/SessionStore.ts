import type { Sampler } from "@teetee/inference";
import type { FrameLink } from "@teetee/sdk/pipeline";
import type { RouteHop } from "@teetee/sdk/wire";
import { RunnerFullError, SequenceLimitError, SessionOrderError, UnknownSessionError } from "./errors.js";
import type { SessionReceipt } from "./SessionReceipt.js";

/** The KV-cache facts the store needs of a shard (a `ShardSession`). */
export type KvCacheSource = {
  kvBytesPerToken: number;
  kvCacheBytes: (sessionId: string) => number;
  /** The KV bytes a sequence will hold once `total` positions are cached (its buffers' growth included). */
  projectedKvBytes: (sessionId: string, total: number) => number;
  drop: (sessionId: string) => void;
  /** Bytes of the shared buffers batched decode steps are gathered into (outside the per-session caches). */
  batchBufferBytes: number;
  /** The most bytes those buffers have held at once. */
  batchBufferPeakBytes: number;
  manifest: { config: { maxPositions: number } };
};

/** The store's KV memory, as `/healthz` and `/v1/load` publish it. */
export type KvUsage = {
  /** Bytes the sessions' caches hold now. */
  allocatedBytes: number;
  /** Bytes admitted steps may still allocate: their projected growth, until they are released. */
  reservedBytes: number;
  /** `--max-kv-bytes`: allocated plus reserved never exceeds it. */
  limitBytes: number;
  /** Bytes of the shard's batch buffers (bounded apart, by `--batch-kv-bytes`), and the most they have held. */
  batchBufferBytes: number;
  batchBufferPeakBytes: number;
};

export type SessionLimits = {
  maxSessions: number;
  maxKvBytes: number;
  maxSequenceLength: number;
  idleTimeoutMs: number;
};

/** What a runner keeps per session besides its KV cache. */
export type RunnerSession = {
  key: string;
  /** Positions cached. */
  position: number;
  /** The last shard's sampler, set by the first prefill frame. */
  sampler: Sampler | undefined;
  /** Whether the sender asked for each sampled token's log-probability (first prefill frame). */
  logprobs: boolean;
  /** What this runner's receipt of the session will commit to, from its first frame on. */
  receipt: SessionReceipt | undefined;
  /** The rest of the route after this runner, as the first prefill frame gave it. */
  route: readonly RouteHop[];
  /** The sealed link to the next runner, made once per session (one ECDH). */
  next: FrameLink | undefined;
  lastUsed: number;
  busy: boolean;
  /**
   * A step reached this runner but not the next: the session takes no more frames and its KV cache is freed, but
   * its record stays (until a drop or idle eviction) so its receipt can still be signed.
   */
  retired: boolean;
};

/**
 * Sessions and their KV caches under hard limits: a session count, KV bytes, positions per session, and
 * idle eviction. A refusal never evicts a live session to make room: what others hold is never lost.
 *
 * KV bytes are reserved at admission: {@link acquire} books the bytes the session's cache will hold after the
 * step (as the shard projects them), and the booking lasts until {@link release} or {@link drop}. A session
 * counts the larger of what it holds and what it booked, so steps admitted together, before any of them
 * allocates, cannot together pass the limit.
 */
export class SessionStore {
  readonly #sessions = new Map<string, RunnerSession>();
  /** Bytes each admitted step's session will hold once the step has run, until the step is released. */
  readonly #reserved = new Map<string, number>();
  readonly #kv: KvCacheSource;
  readonly limits: SessionLimits;

  readonly #onEvict: ((key: string) => void) | undefined;

  /** `onEvict` hears of each session dropped for idleness (e.g. so its open payment is abandoned). */
  constructor(kv: KvCacheSource, limits: SessionLimits, onEvict?: (key: string) => void) {
    this.#kv = kv;
    this.limits = limits;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Bytes of KV cache allocated now. */
  get kvBytes(): number {
    let total = 0;
    for (const key of this.#sessions.keys()) total += this.#kv.kvCacheBytes(key);
    return total;
  }

  get kvUsage(): KvUsage {
    const allocatedBytes = this.kvBytes;
    return {
      allocatedBytes,
      reservedBytes: this.#committedBytes() - allocatedBytes,
      limitBytes: this.limits.maxKvBytes,
      batchBufferBytes: this.#kv.batchBufferBytes,
      batchBufferPeakBytes: this.#kv.batchBufferPeakBytes,
    };
  }

  get(key: string): RunnerSession | undefined {
    return this.#sessions.get(key);
  }

  /**
   * The session a prefill or decode frame continues, created for a prefill at position 0. Checks the frame's
   * positions continue the cache and fit the limits, and marks the session busy until {@link release}.
   */
  acquire(
    key: string,
    kind: "prefill" | "decode",
    positionStart: number,
    count: number,
    now: number,
  ): RunnerSession {
    const existing = this.#sessions.get(key);
    if (existing === undefined && (kind !== "prefill" || positionStart !== 0))
      throw new UnknownSessionError();
    const session = existing ?? this.#create(key, now);
    try {
      this.#check(session, positionStart, count);
    } catch (error) {
      if (existing === undefined) this.#sessions.delete(key);
      throw error;
    }
    session.busy = true;
    session.lastUsed = now;
    return session;
  }

  #check(session: RunnerSession, positionStart: number, count: number): void {
    if (session.busy) throw new SessionOrderError("This session already has a frame in flight");
    if (positionStart !== session.position) {
      throw new SessionOrderError(
        `Frame starts at position ${positionStart}, the session holds ${session.position}`,
        {
          hint: "Frames of a session must arrive in order; replay the context on a new session.",
        },
      );
    }
    const total = positionStart + count;
    if (total > this.limits.maxSequenceLength) {
      throw new SequenceLimitError(
        `Session would hold ${total} positions, this runner serves at most ${this.limits.maxSequenceLength}`,
      );
    }
    this.#reserveKv(session.key, total);
  }

  /** The session's step is over (computed or failed): its reservation ends, and a session at position 0 goes. */
  release(session: RunnerSession, now: number): void {
    this.#reserved.delete(session.key);
    session.busy = false;
    session.lastUsed = now;
    if (session.position === 0) this.drop(session.key);
    else if (session.retired) this.#kv.drop(session.key);
  }

  /**
   * Closes a session to computation after a step that went no further (see {@link RunnerSession.retired}): its KV
   * cache is freed now, or on release when a frame is still in flight.
   */
  retire(session: RunnerSession): void {
    session.retired = true;
    if (!session.busy) this.#kv.drop(session.key);
  }

  drop(key: string): RunnerSession | undefined {
    const session = this.#sessions.get(key);
    this.#sessions.delete(key);
    this.#reserved.delete(key);
    this.#kv.drop(key);
    return session;
  }

  /** Drops sessions idle longer than the timeout (never one with a frame in flight); returns how many. */
  evictIdle(now: number): number {
    let evicted = 0;
    for (const session of [...this.#sessions.values()]) {
      if (!session.busy && now - session.lastUsed > this.limits.idleTimeoutMs) {
        this.drop(session.key);
        this.#onEvict?.(session.key);
        evicted += 1;
      }
    }
    return evicted;
  }

  #create(key: string, now: number): RunnerSession {
    if (this.#sessions.size >= this.limits.maxSessions) this.evictIdle(now);
    if (this.#sessions.size >= this.limits.maxSessions) {
      throw new RunnerFullError(`This runner holds its maximum of ${this.limits.maxSessions} sessions`);
    }
    const session: RunnerSession = {
      key,
      position: 0,
      sampler: undefined,
      logprobs: false,
      receipt: undefined,
      route: [],
      next: undefined,
      lastUsed: now,
      busy: false,
      retired: false,
    };
    this.#sessions.set(key, session);
    return session;
  }

  /** Books the bytes `key` will hold at `total` positions; refuses if held and booked bytes would pass the limit. */
  #reserveKv(key: string, total: number): void {
    const current = this.#kv.kvCacheBytes(key);
    const grown = this.#kv.projectedKvBytes(key, total);
    if (grown <= current) return;
    const projected = this.#committedBytes() - this.#committed(key) + grown;
    if (projected > this.limits.maxKvBytes) {
      throw new RunnerFullError("KV cache memory is full", {
        details: `${projected} bytes needed, limit ${this.limits.maxKvBytes}`,
      });
    }
    this.#reserved.set(key, grown);
  }

  /** What `key` counts against the limit: the larger of what it holds and what its admitted step booked. */
  #committed(key: string): number {
    return Math.max(this.#kv.kvCacheBytes(key), this.#reserved.get(key) ?? 0);
  }

  #committedBytes(): number {
    let total = 0;
    for (const key of this.#sessions.keys()) total += this.#committed(key);
    return total;
  }
}
