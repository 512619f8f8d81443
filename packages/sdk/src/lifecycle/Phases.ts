/** Why a {@link Phases} closes what it built: an orderly stop, or a later phase of the start-up failed. */
export type CloseReason = "shutdown" | "rollback";

/** What one start-up phase built, and how to undo it (nothing to undo when `close` is left out). */
export type Built<T> = { value: T; close?: (reason: CloseReason) => Promise<void> | void };

export type PhasesParameters = {
  /** Turns a phase's error into the one the start-up rejects with (e.g. a service's startup error naming it). */
  wrap?: (phase: string, error: unknown) => unknown;
  /** Told of each close that throws while undoing a failed start; the failed phase's error still wins. */
  onCloseError?: (phase: string, error: unknown) => void;
};

/**
 * A composition root built in named phases that undo themselves, so no failure half-way leaks what came before:
 * each phase returns what it built and how to close it; when a phase throws, everything built so far is closed,
 * last first, and the start-up rejects with that phase's error. Closing what a finished start-up built runs the
 * same closes, in the same order.
 *
 * @example
 * const phases = new Phases();
 * const store = await phases.open("opening the store", () => {
 *   const store = openStore();
 *   return { value: store, close: () => store.close() };
 * });
 * await phases.open("listening", () => listen(store)); // throws: the store is closed, then the error rethrown
 * return { close: () => phases.close() };
 */
export class Phases {
  readonly #built: { phase: string; close: NonNullable<Built<unknown>["close"]> }[] = [];
  readonly #p: PhasesParameters;

  constructor(parameters: PhasesParameters = {}) {
    this.#p = parameters;
  }

  /** Runs one phase; if it throws, closes every earlier phase (last first) and rethrows, wrapped. */
  async open<T>(phase: string, build: () => Promise<Built<T>> | Built<T>): Promise<T> {
    let built: Built<T>;
    try {
      built = await build();
    } catch (error) {
      await this.#rollback();
      throw this.#p.wrap === undefined ? error : this.#p.wrap(phase, error);
    }
    if (built.close !== undefined) this.#built.push({ phase, close: built.close });
    return built.value;
  }

  /** Runs a phase that builds nothing to close (a check, a chain read), with the same undo on failure. */
  step<T>(phase: string, run: () => Promise<T> | T): Promise<T> {
    return this.open(phase, async () => ({ value: await run() }));
  }

  /**
   * Closes every phase built so far, last first, each once; every close runs even if one throws, and the first
   * error is rethrown after the last.
   */
  async close(reason: CloseReason = "shutdown"): Promise<void> {
    const errors = await this.#closeAll(reason);
    if (errors.length > 0) throw errors[0]!.error;
  }

  async #rollback(): Promise<void> {
    for (const { phase, error } of await this.#closeAll("rollback")) this.#p.onCloseError?.(phase, error);
  }

  async #closeAll(reason: CloseReason): Promise<{ phase: string; error: unknown }[]> {
    const errors: { phase: string; error: unknown }[] = [];
    for (let entry = this.#built.pop(); entry !== undefined; entry = this.#built.pop()) {
      try {
        await entry.close(reason);
      } catch (error) {
        errors.push({ phase: entry.phase, error });
      }
    }
    return errors;
  }
}
