import { describe } from "@teetee/errors";
import type { RouteRunner, VerifiedRunner } from "@teetee/sdk/pipeline";
import { HEALTH_PATH, runnerUrl } from "@teetee/sdk/protocol";
import type { Address, Hex } from "viem";
import type { ModelListing } from "./ChainDirectory.js";
import { NoCapacityError, RouteUnfundedError } from "./errors.js";

/** What a buyer can check about one runner of its route. */
export type AttestationStatus = {
  status: "verified" | "pending" | "failed";
  quoteHash: Hex;
  /** Seconds since epoch of the last successful verification. */
  verifiedAt?: number;
  /** Seconds since epoch after which it is verified again. */
  validUntil?: number;
  error?: string;
  /** Failed verifications in a row (0 unless `failed`). */
  failures?: number;
  /** ms since epoch before which a failed verdict is not retried for a route. */
  retryAt?: number;
};

/** One runner as the pool tracks it. */
export type RunnerState = RouteRunner & {
  modelId: Hex;
  shardIndex: number;
  contributor: Address;
  attestation: AttestationStatus;
  /** Smoothed round trip of health checks and frames, ms. */
  latencyMs: number;
  /** Requests using it now. */
  inflight: number;
  /** Not chosen before this time (ms since epoch) after a failure. */
  downUntil: number;
  /**
   * Not chosen before this time (ms since epoch): it answered 503 with Retry-After (its batch is full). A busy
   * runner is healthy; only new requests go elsewhere until then.
   */
  busyUntil: number;
};

export type RunnerPoolParameters = {
  /**
   * Verifies a runner's registration and attestation afresh (no cached verdict), e.g. with a new `RouteVerifier`;
   * its `validUntil` bounds how long the verdict is trusted.
   */
  verify: (runner: RouteRunner, expected: { modelId: Hex; shardIndex: number }) => Promise<VerifiedRunner>;
  /** Health check interval, ms. Default 5000. */
  healthIntervalMs?: number;
  /** Health check timeout, ms. Default 2000. */
  healthTimeoutMs?: number;
  /** How long a failed runner is avoided, ms. Default 30 000. */
  cooldownMs?: number;
  /** Re-verify attestations at least this often, seconds (also on a quote change and at the TTL). Default 300. */
  recheckSeconds?: number;
  now?: () => number;
};

const smoothing = 0.3;

/**
 * The runners of every model, with their health, measured latency, load and attestation verdict. A runner is
 * used only once its attestation has been verified through the SDK (`RouteVerifier`), and again when its registered
 * quote changes, when its verdict's TTL passes, and every `recheckSeconds`. Routes take, per shard, the healthy
 * attested runner with the lowest latency weighted by load.
 */
export class RunnerPool {
  readonly #p: Required<RunnerPoolParameters>;
  readonly #runners = new Map<Address, RunnerState>();
  readonly #verifying = new Map<Address, Promise<boolean>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(parameters: RunnerPoolParameters) {
    this.#p = {
      healthIntervalMs: 5000,
      healthTimeoutMs: 2000,
      cooldownMs: 30_000,
      recheckSeconds: 300,
      now: Date.now,
      ...parameters,
    };
  }

  /** Brings the pool in line with the chain: new runners join (pending verification), gone ones leave. */
  sync(listings: ReadonlyMap<Hex, ModelListing>): void {
    const seen = new Set<Address>();
    for (const listing of listings.values()) {
      for (const [shardIndex, runners] of listing.runners.entries()) {
        for (const { runner, info } of runners) {
          seen.add(runner);
          const existing = this.#runners.get(runner);
          const changed =
            existing === undefined ||
            existing.attestation.quoteHash !== info.quoteHash ||
            existing.endpoint !== info.endpoint ||
            existing.modelId !== listing.modelId;
          if (!changed) continue;
          this.#runners.set(runner, {
            runner,
            endpoint: info.endpoint,
            publicKey: info.publicKey,
            modelId: listing.modelId,
            shardIndex,
            contributor: info.contributor,
            attestation: { status: "pending", quoteHash: info.quoteHash },
            latencyMs: existing?.latencyMs ?? 50,
            inflight: existing?.inflight ?? 0,
            downUntil: 0,
            busyUntil: 0,
          });
          void this.verify(runner);
        }
      }
    }
    for (const runner of [...this.#runners.keys()]) if (!seen.has(runner)) this.#runners.delete(runner);
  }

  get(runner: Address): RunnerState | undefined {
    return this.#runners.get(runner);
  }

  runners(modelId: Hex, shardIndex: number): RunnerState[] {
    const id = modelId.toLowerCase();
    return [...this.#runners.values()].filter(
      (r) => r.modelId.toLowerCase() === id && r.shardIndex === shardIndex,
    );
  }

  /** Whether every shard has a verified runner that is not cooling down. */
  hasRoute(modelId: Hex, shardCount: number): boolean {
    const now = this.#p.now();
    for (let shard = 0; shard < shardCount; shard++) {
      if (!this.runners(modelId, shard).some((r) => this.#usable(r, now))) return false;
    }
    return true;
  }

  /**
   * The best route now: per shard, the usable runner with the lowest latency times (1 + load), verified
   * (again, if due) before it is chosen.
   * @throws NoCapacityError when a shard has no usable runner
   */
  async chooseRoute(
    modelId: Hex,
    shardCount: number,
    exclude: ReadonlySet<Address> = new Set(),
    accept?: (route: readonly Address[]) => Promise<boolean>,
  ): Promise<RunnerState[]> {
    return this.#choose(modelId, shardCount, exclude, accept, false);
  }

  /**
   * Chooses a route as {@link chooseRoute} does and counts the request on its runners in the same step, so that
   * requests choosing at once see each other's load and spread over the replicas; `release` ends the count.
   */
  async takeRoute(
    modelId: Hex,
    shardCount: number,
    exclude: ReadonlySet<Address> = new Set(),
    accept?: (route: readonly Address[]) => Promise<boolean>,
  ): Promise<{ route: RunnerState[]; release: () => void }> {
    const route = await this.#choose(modelId, shardCount, exclude, accept, true);
    return { route, release: once(() => count(route, -1)) };
  }

  /**
   * Chooses a route; with `reserve`, counts it on its runners as soon as it is chosen (before any later await), and
   * a candidate route while `accept` is asked about it, so concurrent choices rank by each other's load.
   */
  async #choose(
    modelId: Hex,
    shardCount: number,
    exclude: ReadonlySet<Address>,
    accept: ((route: readonly Address[]) => Promise<boolean>) | undefined,
    reserve: boolean,
  ): Promise<RunnerState[]> {
    if (accept !== undefined) return this.#chooseAccepted(modelId, shardCount, exclude, accept, reserve);
    const route: RunnerState[] = [];
    try {
      for (let shard = 0; shard < shardCount; shard++) {
        const candidates = () => {
          const now = this.#p.now();
          return this.runners(modelId, shard)
            .filter((r) => !exclude.has(r.runner) && isChoosable(r, now))
            .sort((a, b) => score(a) - score(b));
        };
        let found = false;
        for (const candidate of candidates()) {
          if (await this.verify(candidate.runner)) {
            found = true;
            break;
          }
        }
        // Ranked again after the awaits: other requests may have taken runners meanwhile.
        const nowSeconds = this.#p.now() / 1000;
        const chosen = found ? candidates().find((r) => isVerified(r, nowSeconds)) : undefined;
        if (chosen === undefined) throw this.#noCapacity(modelId, shard, exclude, this.#p.now());
        if (reserve) count([chosen], 1);
        route.push(chosen);
      }
    } catch (error) {
      if (reserve) count(route, -1);
      throw error;
    }
    return route;
  }

  /**
   * The best route `accept` takes, among every combination of verified, usable runners per shard, best first
   * (by the sum of each runner's rank on its shard; at most `maxRoutesTried` are asked about).
   * @throws NoCapacityError when a shard has no usable runner; RouteUnfundedError when `accept` takes none
   */
  async #chooseAccepted(
    modelId: Hex,
    shardCount: number,
    exclude: ReadonlySet<Address>,
    accept: (route: readonly Address[]) => Promise<boolean>,
    reserve: boolean,
  ): Promise<RunnerState[]> {
    const perShard: RunnerState[][] = [];
    for (let shard = 0; shard < shardCount; shard++) {
      const now = this.#p.now();
      const candidates = this.runners(modelId, shard).filter(
        (r) => !exclude.has(r.runner) && isChoosable(r, now),
      );
      const passed = await Promise.all(candidates.map((c) => this.verify(c.runner)));
      const usable = candidates.filter((_, i) => passed[i]);
      if (usable.length === 0) throw this.#noCapacity(modelId, shard, exclude, now);
      perShard.push(usable);
    }
    // Ranked after the awaits, by the load of now.
    const routes = rankedRoutes(
      perShard.map((usable) => [...usable].sort((a, b) => score(a) - score(b))),
      maxRoutesTried,
    );
    for (const route of routes) {
      if (reserve) count(route, 1);
      if (await accept(route.map((r) => r.runner))) return route;
      if (reserve) count(route, -1);
    }
    throw new RouteUnfundedError(
      `None of the ${routes.length} routes that can serve this model now has an allocation of this buyer covering the request.`,
      {
        hint: "Allocate to a route of this model in the PaymentEscrow (teetee allocate, or the web app's Routes card); GET /v1/models lists the runners per shard.",
      },
    );
  }

  /** Verifies a runner's attestation if it is not verified or its verdict is due; returns whether it passes. */
  verify(runner: Address): Promise<boolean> {
    const state = this.#runners.get(runner);
    if (state === undefined) return Promise.resolve(false);
    const nowSeconds = this.#p.now() / 1000;
    const { attestation } = state;
    if (attestation.status === "verified" && (attestation.validUntil ?? 0) > nowSeconds)
      return Promise.resolve(true);
    const pending = this.#verifying.get(runner);
    if (pending !== undefined) return pending;
    const run = this.#p
      .verify(state, { modelId: state.modelId, shardIndex: state.shardIndex })
      .then(
        (verified) => {
          const now = this.#p.now() / 1000;
          state.attestation = {
            status: "verified",
            quoteHash: verified.quoteHash,
            verifiedAt: now,
            validUntil: Math.min(verified.validUntil, now + this.#p.recheckSeconds),
          };
          return true;
        },
        (error: unknown) => {
          // Tried again after the cooldown, and once at the next health check that finds it up: a runner registers
          // before it listens, and one that could not be reached is not a runner that lied.
          this.markDown(runner);
          state.attestation = {
            status: "failed",
            quoteHash: attestation.quoteHash,
            error: describe(error),
            failures: (attestation.failures ?? 0) + 1,
            retryAt: this.#p.now() + this.#p.cooldownMs,
          };
          return false;
        },
      )
      .finally(() => this.#verifying.delete(runner));
    this.#verifying.set(runner, run);
    return run;
  }

  /** Counts a request on each runner of a route; returns the release. */
  acquire(route: readonly RunnerState[]): () => void {
    for (const r of route) r.inflight += 1;
    return () => {
      for (const r of route) r.inflight = Math.max(0, r.inflight - 1);
    };
  }

  /**
   * Takes a runner out of rotation until its Retry-After passes (default 1 s): it answered 503, its batch is full.
   * Its health and verdict stay as they are.
   */
  markBusy(runner: Address, retryAfterSeconds: number = 1): void {
    const state = this.#runners.get(runner);
    if (state === undefined) return;
    const until = this.#p.now() + Math.max(0, retryAfterSeconds) * 1000;
    state.busyUntil = Math.max(state.busyUntil, until);
  }

  /**
   * Why a shard has no runner to take now; when its runners are only busy, the error says (as Retry-After) when
   * the first of them takes requests again.
   */
  #noCapacity(modelId: Hex, shard: number, exclude: ReadonlySet<Address>, now: number): NoCapacityError {
    const busy = this.runners(modelId, shard).filter(
      (r) => !exclude.has(r.runner) && r.busyUntil > now && isUsable(r, now),
    );
    if (busy.length === 0)
      return new NoCapacityError(
        `No attested, healthy runner serves shard ${shard} of this model right now.`,
      );
    const first = Math.min(...busy.map((r) => r.busyUntil));
    return new NoCapacityError(
      `Every runner of shard ${shard} of this model is full right now (${busy.length} busy).`,
      { retryAfterSeconds: Math.max(1, Math.ceil((first - now) / 1000)) },
    );
  }

  /** Feeds a measured round trip into a runner's latency. */
  observeLatency(runner: Address, ms: number): void {
    const state = this.#runners.get(runner);
    if (state !== undefined) state.latencyMs = state.latencyMs * (1 - smoothing) + ms * smoothing;
  }

  /** Takes a runner out of rotation for the cooldown (it failed mid-request or a health check). */
  markDown(runner: Address): void {
    const state = this.#runners.get(runner);
    if (state !== undefined) state.downUntil = this.#p.now() + this.#p.cooldownMs;
  }

  /**
   * Health-checks one runner: a failure marks it down, a success feeds its latency and, after a first failed
   * verification, verifies it again at once (so a runner that registered before it listened joins without waiting
   * out the cooldown). Resolves whether the runner is up and, if it was so re-verified, attested.
   */
  async checkHealth(runner: Address): Promise<boolean> {
    const state = this.#runners.get(runner);
    if (state === undefined) return false;
    const started = performance.now();
    try {
      const response = await fetch(runnerUrl(state.endpoint, HEALTH_PATH), {
        signal: AbortSignal.timeout(this.#p.healthTimeoutMs),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`health ${response.status}`);
      this.observeLatency(runner, performance.now() - started);
      if (state.downUntil > this.#p.now()) state.downUntil = 0;
      if (state.attestation.status === "failed" && state.attestation.failures === 1) {
        return await this.verify(runner);
      }
      return true;
    } catch {
      this.markDown(runner);
      return false;
    }
  }

  /** Health-checks every runner now and then every `healthIntervalMs`. */
  start(): void {
    if (this.#timer !== undefined) return;
    const sweep = () => void Promise.all([...this.#runners.keys()].map((r) => this.checkHealth(r)));
    sweep();
    this.#timer = setInterval(sweep, this.#p.healthIntervalMs);
    this.#timer.unref();
  }

  /** Whether it health-checks its runners every `healthIntervalMs`: between {@link start} and {@link stop}. */
  get polling(): boolean {
    return this.#timer !== undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #usable(state: RunnerState, now: number): boolean {
    return isUsable(state, now);
  }
}

/** A runner a route may take now: attested, and not marked down by a failed request or health check. */
export function isUsable(state: RunnerState, now: number = Date.now()): boolean {
  return state.attestation.status === "verified" && state.downUntil <= now;
}

/** A runner a route may take for a new request now: not down, not waiting out a failed verdict, not busy. */
function isChoosable(state: RunnerState, now: number): boolean {
  return state.downUntil <= now && (state.attestation.retryAt ?? 0) <= now && state.busyUntil <= now;
}

/** Routes `accept` is asked about at most, per request. */
const maxRoutesTried = 64;

/**
 * Every route through `perShard` (each list best first), ordered by the sum of the ranks of its runners, the best
 * route first; at most `limit`.
 */
export function rankedRoutes<T>(perShard: readonly (readonly T[])[], limit: number): T[][] {
  const ranked: { ranks: number[]; sum: number }[] = [];
  const walk = (shard: number, ranks: number[], sum: number) => {
    if (shard === perShard.length) {
      ranked.push({ ranks, sum });
      return;
    }
    for (let rank = 0; rank < perShard[shard]!.length; rank++) walk(shard + 1, [...ranks, rank], sum + rank);
  };
  const combinations = perShard.reduce((n, list) => n * list.length, 1);
  if (combinations > 4096) {
    // Too many to list: the best runner per shard with one shard at a time moved down its list.
    ranked.push({ ranks: perShard.map(() => 0), sum: 0 });
    for (let shard = 0; shard < perShard.length; shard++)
      for (let rank = 1; rank < perShard[shard]!.length; rank++)
        ranked.push({ ranks: perShard.map((_, s) => (s === shard ? rank : 0)), sum: rank });
  } else walk(0, [], 0);
  return ranked
    .sort((a, b) => a.sum - b.sum)
    .slice(0, limit)
    .map(({ ranks }) => ranks.map((rank, shard) => perShard[shard]![rank]!));
}

/** Whether a runner's verdict is verified and still valid at `nowSeconds`. */
function isVerified(state: RunnerState, nowSeconds: number): boolean {
  return state.attestation.status === "verified" && (state.attestation.validUntil ?? 0) > nowSeconds;
}

/** Adds `delta` to the requests counted on each runner of a route (never below 0). */
function count(route: readonly RunnerState[], delta: number): void {
  for (const r of route) r.inflight = Math.max(0, r.inflight + delta);
}

/** `f`, run at most once however often it is called. */
function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

function score(state: RunnerState): number {
  const unverified = state.attestation.status === "verified" ? 0 : 1e6;
  return unverified + state.latencyMs * (1 + state.inflight);
}
