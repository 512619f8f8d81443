import { type ApiKey, type ModelPrices, PaymentSession } from "@teetee/sdk/payments";
import type { Address, Hex } from "viem";

export type PaymentSessionPoolParameters = {
  chainId: number;
  paymentEscrow: Address;
  /** An idle session not leased again within this long is dropped (its channel stays redeemable). Default 10 min. */
  maxIdleMs?: number;
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
};

/**
 * Payment sessions by API key, model and route. A session carries one request at a time (its voucher is
 * cumulative), so concurrent requests of one key on one route lease separate sessions; sessions whose request was
 * settled are handed back and reused, so that one voucher, redeemed once, covers many requests. A session whose
 * request was abandoned is not handed back (see `Generator`).
 *
 * Memory is bounded by time: a session idle longer than `maxIdleMs` is dropped (the key's next request opens a new
 * channel), and so are a key's idle sessions at prices the model no longer has, so keys, routes and prices of the
 * past do not stay in a long-running gateway.
 */
export class PaymentSessionPool {
  readonly #p: Required<PaymentSessionPoolParameters>;
  readonly #idle = new Map<string, PaymentSession[]>();
  /** Every idle session, least recently released first, with its pool key and release time. */
  readonly #released = new Map<PaymentSession, { key: string; at: number }>();

  constructor(parameters: PaymentSessionPoolParameters) {
    this.#p = { maxIdleMs: 10 * 60_000, now: Date.now, ...parameters };
  }

  /** Sessions handed back and not leased again. */
  get idle(): number {
    return this.#released.size;
  }

  /** A session for this key, model and route not in use by another request. */
  lease(apiKey: ApiKey, modelId: Hex, route: readonly Address[], prices: ModelPrices): PaymentSession {
    this.#dropExpired();
    const key = poolKey(apiKey, modelId, route);
    for (const stale of (this.#idle.get(key) ?? []).filter((s) => !samePrices(s.prices, prices)))
      this.#take(key, stale);
    // The most recently released: after a burst, steady traffic keeps reusing a few and the rest expire.
    const reusable = this.#idle.get(key)?.at(-1);
    if (reusable !== undefined) {
      this.#take(key, reusable);
      return reusable;
    }
    return new PaymentSession({
      apiKey,
      chainId: this.#p.chainId,
      paymentEscrow: this.#p.paymentEscrow,
      modelId,
      route,
      prices,
    });
  }

  /** Hands a session back once its request has completed with a settle voucher. */
  release(apiKey: ApiKey, session: PaymentSession): void {
    this.#dropExpired();
    const key = poolKey(apiKey, session.modelId, session.route);
    const idle = this.#idle.get(key) ?? [];
    idle.push(session);
    this.#idle.set(key, idle);
    this.#released.set(session, { key, at: this.#p.now() });
  }

  /** Removes an idle session from the pool (to lease or drop it); a key left with none is forgotten. */
  #take(key: string, session: PaymentSession): void {
    this.#released.delete(session);
    const idle = this.#idle.get(key);
    if (idle === undefined) return;
    idle.splice(idle.indexOf(session), 1);
    if (idle.length === 0) this.#idle.delete(key);
  }

  #dropExpired(): void {
    const oldest = this.#p.now() - this.#p.maxIdleMs;
    for (const [session, { key, at }] of this.#released) {
      if (at >= oldest) return;
      this.#take(key, session);
    }
  }
}

function poolKey(apiKey: ApiKey, modelId: Hex, route: readonly Address[]): string {
  return `${apiKey.buyer}|${apiKey.signer.address}|${modelId.toLowerCase()}|${route.join(",")}`;
}

function samePrices(a: ModelPrices, b: ModelPrices): boolean {
  return a.inputPricePerMTok === b.inputPricePerMTok && a.outputPricePerMTok === b.outputPricePerMTok;
}
