import type { FramePayload } from "@teetee/sdk/wire";
import { RunnerError, RunnerFullError } from "./errors.js";

export type ResultMailboxLimits = {
  /** Sessions that may have a waiting `await` or an uncollected result at once. */
  maxEntries: number;
  /** How long an `await` waits for its step before it is answered 504. */
  timeoutMs: number;
};

/** A step's result as the last runner answers it: the sampled token, or nothing for a prefill chunk. */
export type StepResult = { step: number; payload: FramePayload; positionCount: number };

type Waiter = {
  step: number;
  resolve: (result: StepResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * Where a route's last runner leaves each step's result for the sender that `await`s it directly, so the token
 * skips the relay back through every runner. A result may arrive before or after its `await`: whichever comes
 * second completes the exchange. One waiter and one uncollected result per session; both are bounded.
 */
export class ResultMailbox {
  readonly #waiting = new Map<string, Waiter>();
  readonly #results = new Map<string, StepResult>();
  readonly #limits: ResultMailboxLimits;

  constructor(limits: ResultMailboxLimits) {
    this.#limits = limits;
  }

  /** Sessions with a waiting `await`. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Resolves with `step`'s result of session `key`, now if it is already here, else when it is posted. */
  wait(key: string, step: number): Promise<StepResult> {
    const ready = this.#results.get(key);
    if (ready !== undefined && ready.step === step) {
      this.#results.delete(key);
      return Promise.resolve(ready);
    }
    const previous = this.#waiting.get(key);
    if (previous !== undefined) {
      this.#settle(key, previous);
      previous.reject(
        new RunnerError(`A later await for this session replaced step ${previous.step}'s`, { status: 409 }),
      );
    } else if (this.#waiting.size >= this.#limits.maxEntries) {
      return Promise.reject(
        new RunnerFullError(`This runner holds its maximum of ${this.#limits.maxEntries} awaits`),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(key, waiter);
        reject(
          new RunnerError(`Step ${step} did not reach this runner within ${this.#limits.timeoutMs} ms`, {
            status: 504,
            hint: "An earlier runner of the route may have failed: its answer names which.",
          }),
        );
      }, this.#limits.timeoutMs);
      timer.unref();
      const waiter: Waiter = { step, resolve, reject, timer };
      this.#waiting.set(key, waiter);
    });
  }

  /** Hands `result` to its waiting `await`, or keeps it (the latest per session) until one comes. */
  post(key: string, result: StepResult): void {
    const waiter = this.#waiting.get(key);
    if (waiter !== undefined && waiter.step === result.step) {
      this.#settle(key, waiter);
      waiter.resolve(result);
      return;
    }
    this.#results.delete(key);
    this.#results.set(key, result);
    if (this.#results.size > this.#limits.maxEntries) {
      const oldest = this.#results.keys().next().value;
      if (oldest !== undefined) this.#results.delete(oldest);
    }
  }

  /** Fails the `await` of `step` (if one waits) with the error that step met here. */
  fail(key: string, step: number, error: Error): void {
    const waiter = this.#waiting.get(key);
    if (waiter === undefined || waiter.step !== step) return;
    this.#settle(key, waiter);
    waiter.reject(error);
  }

  /** Forgets a session: a waiting `await` fails with `error`. */
  forget(key: string, error: Error): void {
    this.#results.delete(key);
    const waiter = this.#waiting.get(key);
    if (waiter === undefined) return;
    this.#settle(key, waiter);
    waiter.reject(error);
  }

  #settle(key: string, waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (this.#waiting.get(key) === waiter) this.#waiting.delete(key);
  }
}
