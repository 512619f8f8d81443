import type { Hex } from "viem";

/** The quote-intrinsic part of a verdict (Intel chain and TCB), which depends on nothing on-chain. */
export type CachedQuoteVerdict = {
  tcbStatus: string;
  advisoryIds: readonly string[];
  /** Seconds since epoch after which the verdict must be recomputed (collateral `nextUpdate`). */
  expiresAt: number;
};

/**
 * Remembers Intel quote verdicts by quote hash, so the ~100 ms DCAP check runs once per quote
 * and collateral period. Only passing verdicts are stored; on-chain facts (allowlist, TTL,
 * registered hash) are re-checked on every call because they can change at any block.
 * Bounded: the least recently used entry goes first.
 */
export class AttestationCache {
  readonly #entries = new Map<Hex, CachedQuoteVerdict>();
  readonly #maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 1024;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The verdict for `quoteHash` if it is still valid at `nowSeconds`. */
  get(quoteHash: Hex, nowSeconds: number): CachedQuoteVerdict | undefined {
    const key = quoteHash.toLowerCase() as Hex;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (nowSeconds >= entry.expiresAt) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  set(quoteHash: Hex, verdict: CachedQuoteVerdict): void {
    const key = quoteHash.toLowerCase() as Hex;
    this.#entries.delete(key);
    this.#entries.set(key, verdict);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
