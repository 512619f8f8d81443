/**
 * Chain reads reused for `maxAgeMs`, by key. Bounded by time: each read first drops the expired entries, and since
 * an entry read again moves to the back, insertion order is age order and the sweep stops at the first fresh one. A
 * long-running reader (a gateway or runner seeing many buyers, signers and routes) so keeps only what it read in
 * the last `maxAgeMs`. A failed read is not kept.
 */
export class ReadCache {
  readonly #entries = new Map<string, { at: number; value: Promise<unknown> }>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(maxAgeMs: number, now: () => number = Date.now) {
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** Entries kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** The read of `key` made within `maxAgeMs`, or a new one. */
  get<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.#now();
    this.#dropExpired(now);
    const hit = this.#entries.get(key);
    if (hit !== undefined) return hit.value as Promise<T>;
    const value = read();
    const entry = { at: now, value };
    this.#entries.set(key, entry);
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return value;
  }

  #dropExpired(now: number): void {
    for (const [key, { at }] of this.#entries) {
      if (now - at < this.#maxAgeMs) return;
      this.#entries.delete(key);
    }
  }
}
