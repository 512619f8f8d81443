import { FrameReplayError, ReplayGuardFullError } from "./errors.js";

export type ReplayGuardOptions = {
  /** Sessions remembered at once; beyond this, frames of new sessions are refused. */
  maxSessions?: number;
  /** Frames older than this (by their `sentAt`) are refused, so older sessions can be forgotten. */
  maxAgeMs?: number;
  /** Tolerated clock difference for frames dated in the future. */
  maxFutureSkewMs?: number;
  /** Out-of-order steps accepted behind the highest seen (concurrent requests may overtake). */
  window?: number;
};

type SessionState = { highest: number; seen: bigint; newestSentAt: number };

/**
 * Receiver-side replay protection per sender session: each (session, step) is accepted once,
 * within a sliding window behind the highest step, and only while `sentAt` is recent. Memory
 * is bounded by time and by count: every admit forgets the sessions whose every frame is already
 * too old to pass the age check (so a finished session goes about `maxAgeMs` after its last frame);
 * when `maxSessions` are still replayable, new sessions are refused instead.
 * Call {@link admit} only after the frame authenticated, so forgeries cannot burn steps.
 */
export class ReplayGuard {
  readonly #sessions = new Map<string, SessionState>();
  readonly #maxSessions: number;
  readonly #maxAgeMs: number;
  readonly #maxFutureSkewMs: number;
  readonly #window: number;
  readonly #mask: bigint;

  constructor(options: ReplayGuardOptions = {}) {
    this.#maxSessions = options.maxSessions ?? 10_000;
    this.#maxAgeMs = options.maxAgeMs ?? 120_000;
    this.#maxFutureSkewMs = options.maxFutureSkewMs ?? 30_000;
    this.#window = options.window ?? 64;
    this.#mask = (1n << BigInt(this.#window)) - 1n;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Records the frame, or throws {@link FrameReplayError} / {@link ReplayGuardFullError}. */
  admit(sessionId: Uint8Array, step: number, sentAt: number, now: number = Date.now()): void {
    if (sentAt < now - this.#maxAgeMs)
      throw new FrameReplayError("Frame is too old", { details: `sent ${sentAt}` });
    if (sentAt > now + this.#maxFutureSkewMs) throw new FrameReplayError("Frame is dated in the future");
    // Swept on every admit so finished sessions go within maxAgeMs, not only once the guard is full.
    this.#forgetStale(now);
    const key = Buffer.from(sessionId).toString("hex");
    const state = this.#sessions.get(key) ?? this.#newSession();
    this.#record(state, step);
    state.newestSentAt = Math.max(state.newestSentAt, sentAt);
    this.#sessions.delete(key);
    this.#sessions.set(key, state);
  }

  #newSession(): SessionState {
    if (this.#sessions.size >= this.#maxSessions) {
      throw new ReplayGuardFullError("Too many live sessions to track replays", {
        hint: "Retry after idle sessions age out, or raise maxSessions.",
      });
    }
    return { highest: -1, seen: 0n, newestSentAt: 0 };
  }

  #record(state: SessionState, step: number): void {
    if (step > state.highest) {
      const shift = BigInt(step - state.highest);
      state.seen = shift >= BigInt(this.#window) ? 1n : ((state.seen << shift) | 1n) & this.#mask;
      state.highest = step;
      return;
    }
    const behind = state.highest - step;
    if (behind >= this.#window) throw new FrameReplayError(`Step ${step} is behind the replay window`);
    const bit = 1n << BigInt(behind);
    if ((state.seen & bit) !== 0n)
      throw new FrameReplayError(`Step ${step} of this session was already received`);
    state.seen |= bit;
  }

  /** Map order is least-recently-admitted first; stop at the first session still replayable. */
  #forgetStale(now: number): void {
    for (const [key, state] of this.#sessions) {
      if (state.newestSentAt >= now - this.#maxAgeMs) break;
      this.#sessions.delete(key);
    }
  }
}
