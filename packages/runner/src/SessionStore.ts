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
  manifest: { config: { maxPositions: number } };
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
 */
export class SessionStore {
  readonly #sessions = new Map<string, RunnerSession>();
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

  get kvBytes(): number {
    let total = 0;
    for (const key of this.#sessions.keys()) total += this.#kv.kvCacheBytes(key);
    return total;
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

  release(session: RunnerSession, now: number): void {
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

  /** Refuses growth that would take KV memory past the limit, as the shard says it will allocate it. */
  #reserveKv(key: string, total: number): void {
    const current = this.#kv.kvCacheBytes(key);
    const grown = this.#kv.projectedKvBytes(key, total);
    if (grown <= current) return;
    const projected = this.kvBytes - current + grown;
    if (projected > this.limits.maxKvBytes) {
      throw new RunnerFullError("KV cache memory is full", {
        details: `${projected} bytes needed, limit ${this.limits.maxKvBytes}`,
      });
    }
  }
}
