import type { ReceiptBundleJson } from "@teetee/sdk/receipts";
import { type Address, getAddress, type Hex } from "viem";

/** What the gateway keeps of one response's receipts: the bundle, or why there is none. */
export type StoredReceipts = { bundle: ReceiptBundleJson } | { error: string };

export type ReceiptStoreLimits = {
  /** Responses kept at once; the oldest goes first. */
  maxEntries: number;
  /** How long a response's receipts stay fetchable, ms. */
  maxAgeMs: number;
};

export const DEFAULT_RECEIPT_STORE_LIMITS: ReceiptStoreLimits = { maxEntries: 2000, maxAgeMs: 60 * 60_000 };

type Entry = { buyer: Address; modelId: Hex; storedAt: number; receipts: StoredReceipts };

/**
 * Receipt bundles by response id, for `GET /v1/receipts/:id` after the answer: only the buyer who asked gets them
 * back, and memory is bounded by a count and an age (a bundle is a few KiB: token ids, the text, one 1 KiB signed
 * receipt per runner as JSON). Insertion order is age order, so eviction only ever looks at the oldest entry.
 */
export class ReceiptStore {
  readonly limits: ReceiptStoreLimits;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(limits: Partial<ReceiptStoreLimits> = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_RECEIPT_STORE_LIMITS, ...limits };
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  put(id: string, entry: { buyer: Address; modelId: Hex; receipts: StoredReceipts }): void {
    this.#evict();
    this.#entries.delete(id);
    this.#entries.set(id, { ...entry, buyer: getAddress(entry.buyer), storedAt: this.#now() });
    while (this.#entries.size > this.limits.maxEntries)
      this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** The model a stored response was for (to authenticate the caller against), whoever asks. */
  modelOf(id: string): Hex | undefined {
    this.#evict();
    return this.#entries.get(id)?.modelId;
  }

  /** A response's receipts, only for the buyer it answered; undefined for anyone else, or once evicted. */
  get(id: string, buyer: Address): StoredReceipts | undefined {
    this.#evict();
    const entry = this.#entries.get(id);
    return entry === undefined || entry.buyer !== getAddress(buyer) ? undefined : entry.receipts;
  }

  #evict(): void {
    const oldest = this.#now() - this.limits.maxAgeMs;
    for (const [id, entry] of this.#entries) {
      if (entry.storedAt > oldest) return;
      this.#entries.delete(id);
    }
  }
}
