import type { Tokenizer } from "@teetee/inference";

/**
 * Turns sampled tokens into text deltas for streaming: the whole output is decoded again at each token (so
 * multi-byte characters split across tokens come out whole), text that could still become a stop string is held
 * back, and generation is reported stopped as soon as a stop string appears (the stop string itself is dropped,
 * as OpenAI does).
 */
export class TextStream {
  readonly #tokenizer: Tokenizer;
  readonly #stops: readonly string[];
  readonly #holdBack: number;
  readonly #tokens: number[] = [];
  #emitted = "";
  #stopped = false;

  constructor(tokenizer: Tokenizer, stops: readonly string[] = []) {
    this.#tokenizer = tokenizer;
    this.#stops = stops;
    this.#holdBack = stops.reduce((max, s) => Math.max(max, s.length - 1), 0);
  }

  /** The text emitted so far. */
  get text(): string {
    return this.#emitted;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds a token; returns the new text to emit and whether a stop string ended the output. */
  push(tokenId: number): { delta: string; stopped: boolean } {
    if (this.#stopped) return { delta: "", stopped: true };
    this.#tokens.push(tokenId);
    const decoded = this.#tokenizer.decode(this.#tokens);
    const stopAt = this.#firstStop(decoded);
    if (stopAt !== undefined) {
      this.#stopped = true;
      return { delta: this.#advance(decoded.slice(0, stopAt)), stopped: true };
    }
    let safe = decoded.endsWith("\uFFFD") ? decoded.replace(/\uFFFD+$/, "") : decoded;
    safe = safe.slice(0, Math.max(0, safe.length - this.#holdBack));
    return { delta: this.#advance(safe), stopped: false };
  }

  /** Ends the output (length or EOS): whatever was held back is emitted. */
  finish(): string {
    if (this.#stopped) return "";
    return this.#advance(this.#tokenizer.decode(this.#tokens));
  }

  #advance(text: string): string {
    if (text.length <= this.#emitted.length || !text.startsWith(this.#emitted)) return "";
    const delta = text.slice(this.#emitted.length);
    this.#emitted = text;
    return delta;
  }

  #firstStop(text: string): number | undefined {
    let first: number | undefined;
    for (const stop of this.#stops) {
      const at = text.indexOf(stop, Math.max(0, this.#emitted.length - stop.length));
      if (at >= 0 && (first === undefined || at < first)) first = at;
    }
    return first;
  }
}
