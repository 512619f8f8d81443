import { NoCapacityError, TooManyRequestsError } from "./errors.js";

export type BuyerQueueParameters = {
  /**
   * Requests of one buyer running at once; more wait their turn. Default 4: under a runner's default of 8 open
   * requests per buyer, with room for the overlap of a failover (the abandoned route's runners still count the
   * request until its drop arrives).
   */
  maxRunning?: number;
  /** Requests of one buyer waiting; one more is refused with 429. Default 64. */
  maxWaiting?: number;
  /** How long a request may wait for its turn before it is refused with 429, ms. Default 30 000. */
  maxWaitMs?: number;
  /**
   * Whose line a refusal blames: "buyer" (default) answers 429, the buyer sends too much; "model" (a queue keyed by
   * model, bounding what the gateway sends one model's runners) answers 503, the model is full for everyone.
   */
  full?: "buyer" | "model";
};

type Waiter = { grant: () => void; refuse: (error: Error) => void };

type Line = { running: number; waiting: Waiter[] };

/**
 * Runs each buyer's requests a few at a time, first come first served, instead of sending runners what they
 * would refuse (a runner admits a bounded number of one buyer's requests at once, whatever the API key). A
 * burst waits; only a wait that is too long or a line that is too full is refused (429 with Retry-After), and a
 * refusal leaves nothing behind. Buyers do not wait for each other.
 */
export class BuyerQueue {
  readonly #p: Required<BuyerQueueParameters>;
  readonly #lines = new Map<string, Line>();

  constructor(parameters: BuyerQueueParameters = {}) {
    this.#p = { maxRunning: 4, maxWaiting: 64, maxWaitMs: 30_000, full: "buyer", ...parameters };
    if (this.#p.maxRunning < 1) throw new RangeError("maxRunning must be at least 1");
  }

  /**
   * Waits for the buyer's turn and returns the function that ends it (call it once the request is done;
   * calling it again does nothing).
   * @throws TooManyRequestsError when the buyer's line is full or the wait would be longer than `maxWaitMs`
   * @throws the signal's reason when it aborts while waiting
   */
  async enter(buyer: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const key = buyer.toLowerCase();
    const line = this.#lines.get(key) ?? { running: 0, waiting: [] };
    this.#lines.set(key, line);
    if (line.running < this.#p.maxRunning && line.waiting.length === 0) {
      line.running++;
      return this.#leave(key, line);
    }
    if (line.waiting.length >= this.#p.maxWaiting) {
      throw this.#refusal(
        `has ${line.running} requests running and ${line.waiting.length} waiting, the most the gateway queues.`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          resolve();
        },
        refuse: (error) => {
          cleanup();
          line.waiting.splice(line.waiting.indexOf(waiter), 1);
          this.#forget(key, line);
          reject(error);
        },
      };
      const timer = setTimeout(
        () =>
          waiter.refuse(
            this.#refusal(
              `had a request wait ${this.#p.maxWaitMs} ms behind its ${line.running} running requests.`,
            ),
          ),
        this.#p.maxWaitMs,
      );
      const onAbort = () => waiter.refuse(signal?.reason as Error);
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      line.waiting.push(waiter);
    });
    return this.#leave(key, line);
  }

  /** Requests running and waiting, over every buyer. */
  get depth(): { running: number; waiting: number } {
    let running = 0;
    let waiting = 0;
    for (const line of this.#lines.values()) {
      running += line.running;
      waiting += line.waiting.length;
    }
    return { running, waiting };
  }

  /** A refusal of a full line: 429 for a buyer's line, 503 for a model's (see `full`). */
  #refusal(predicate: string): Error {
    if (this.#p.full === "model")
      return new NoCapacityError(`This model ${predicate}`, { hint: "Retry shortly.", retryAfterSeconds: 1 });
    return new TooManyRequestsError(`This buyer ${predicate}`, {
      hint: "Send fewer requests at once.",
      retryAfterSeconds: 1,
    });
  }

  #leave(key: string, line: Line): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = line.waiting.shift();
      // The turn passes straight to the next in line, so a newcomer cannot overtake it.
      if (next !== undefined) next.grant();
      else {
        line.running--;
        this.#forget(key, line);
      }
    };
  }

  #forget(key: string, line: Line): void {
    if (line.running === 0 && line.waiting.length === 0) this.#lines.delete(key);
  }
}
