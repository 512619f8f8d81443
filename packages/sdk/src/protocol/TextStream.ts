/**
 * What turns token ids into text: `@teetee/inference`'s `Tokenizer` (its `decode` drops special tokens such as the
 * stop token), or anything with the same `decode`.
 */
export type TokenDecoder = { decode(tokenIds: number[]): string };

/**
 * Turns sampled tokens into text deltas for streaming. Decoding is incremental, as in Hugging Face's
 * text-generation-inference: only the tokens since the last emitted boundary are decoded again, with a few tokens of
 * context before them, so each token costs the same however long the output is; text ending in an incomplete
 * UTF-8 sequence waits for the next token. Text that could still become a stop string is held back, and the output
 * ends as soon as a stop string appears (the stop string itself is dropped, as OpenAI does).
 *
 * The gateway streams answers with it and receipt verifiers replay it ({@link answerText}), so the text a buyer got
 * is checked against its tokens by the very rules that produced it.
 */
export class TextStream {
  readonly #tokenizer: TokenDecoder;
  readonly #stops: readonly string[];
  readonly #holdBack: number;
  readonly #tokens: number[] = [];
  /** Tokens before `#prefixOffset` are settled text; `#prefixOffset..#readOffset` is decoding context. */
  #prefixOffset = 0;
  #readOffset = 0;
  /** Everything decoded so far. */
  #decoded = "";
  #emitted = "";
  #stopped = false;

  constructor(tokenizer: TokenDecoder, stops: readonly string[] = []) {
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
    this.#decodeNew();
    const stopAt = this.#firstStop();
    if (stopAt !== undefined) {
      this.#stopped = true;
      return { delta: this.#emitUpTo(stopAt), stopped: true };
    }
    return {
      delta: this.#emitUpTo(Math.max(this.#emitted.length, this.#decoded.length - this.#holdBack)),
      stopped: false,
    };
  }

  /** Ends the output (length or EOS): whatever was held back is emitted. */
  finish(): string {
    if (this.#stopped) return "";
    const rest = this.#decode(this.#prefixOffset, this.#tokens.length);
    const prefix = this.#decode(this.#prefixOffset, this.#readOffset);
    if (rest.length > prefix.length) this.#decoded += rest.slice(prefix.length);
    return this.#emitUpTo(this.#decoded.length);
  }

  #decodeNew(): void {
    const prefix = this.#decode(this.#prefixOffset, this.#readOffset);
    const text = this.#decode(this.#prefixOffset, this.#tokens.length);
    if (text.length > prefix.length && !text.endsWith("\uFFFD")) {
      this.#decoded += text.slice(prefix.length);
      this.#prefixOffset = this.#readOffset;
      this.#readOffset = this.#tokens.length;
    }
  }

  #decode(start: number, end: number): string {
    return end > start ? this.#tokenizer.decode(this.#tokens.slice(start, end)) : "";
  }

  #emitUpTo(end: number): string {
    if (end <= this.#emitted.length) return "";
    const delta = this.#decoded.slice(this.#emitted.length, end);
    this.#emitted += delta;
    return delta;
  }

  #firstStop(): number | undefined {
    let first: number | undefined;
    for (const stop of this.#stops) {
      const at = this.#decoded.indexOf(stop, Math.max(0, this.#emitted.length - stop.length));
      if (at >= 0 && (first === undefined || at < first)) first = at;
    }
    return first;
  }
}

export type AnswerText = {
  /** The text the buyer got: every delta the stream emitted, joined. */
  text: string;
  /** How many tokens were pushed before a stop string ended the output; `undefined` when none did. */
  stoppedAfter: number | undefined;
};

/**
 * The answer text of a whole token sequence, as the gateway produces it token by token: pushes each token into a
 * {@link TextStream} until a stop string ends it, then finishes it.
 * @example
 * const { text } = answerText(tokenizer, completionTokenIds, ["\n\n"]);
 */
export function answerText(
  tokenizer: TokenDecoder,
  tokenIds: readonly number[],
  stops: readonly string[] = [],
): AnswerText {
  const stream = new TextStream(tokenizer, stops);
  let text = "";
  for (const [i, tokenId] of tokenIds.entries()) {
    const { delta, stopped } = stream.push(tokenId);
    text += delta;
    if (stopped) return { text, stoppedAfter: i + 1 };
  }
  return { text: text + stream.finish(), stoppedAfter: undefined };
}
