import { walk } from "./walk.js";

/** Options shared by every TeeTee error: the underlying cause and what the caller can do next. */
export type TeeTeeErrorOptions = {
  cause?: unknown;
  /** Extra facts for the reader (values compared, offsets); kept out of `shortMessage`. */
  details?: string;
  /** What to do next, in one sentence. */
  hint?: string;
  /** When the same request may succeed if sent again, in whole seconds (HTTP's Retry-After). */
  retryAfterSeconds?: number;
};

/** What an error says about itself in JSON: no stack, no cause objects, nothing but the sentences. */
export type TeeTeeErrorJson = {
  name: string;
  shortMessage: string;
  details?: string;
  hint?: string;
};

/**
 * Base of every error a TeeTee package throws on purpose, in the manner of viem's `BaseError`: a one-line
 * `shortMessage` for people, `details` and `hint` beside it, `cause` for the chain (`walk` follows it), and a
 * literal `name` per subclass. Kinds are tested with `instanceof`: the workspace holds one copy of this package
 * (it has no dependencies, so nothing can pull in a second one).
 *
 * @example
 * class QuoteFormatError extends TeeTeeError {
 *   override name = "QuoteFormatError" as const;
 * }
 * throw new QuoteFormatError("Not a TDX quote", { details: "version 3", cause });
 */
export class TeeTeeError extends Error {
  override name: string = "TeeTeeError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly hint: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    super(
      fullMessage(shortMessage, options),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.hint = options.hint;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /**
   * The first error along the cause chain (this one first) for which `fn` is true, or the deepest cause when
   * `fn` is omitted; `undefined` when none matches.
   */
  walk(fn?: (error: unknown) => boolean): unknown {
    return walk(this, fn);
  }

  /** The sentences only: an error sent as JSON (in an HTTP answer or a log line) never carries its stack. */
  toJSON(): TeeTeeErrorJson {
    return {
      name: this.name,
      shortMessage: this.shortMessage,
      ...(this.details === undefined ? {} : { details: this.details }),
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

/** `Error.message`: the short message, then labelled lines for the details, the cause's message and the hint. */
function fullMessage(shortMessage: string, options: TeeTeeErrorOptions): string {
  const causeMessage = options.cause instanceof Error ? options.cause.message : undefined;
  const lines = [
    shortMessage,
    options.details === undefined ? undefined : `Details: ${options.details}`,
    causeMessage === undefined || causeMessage === options.details ? undefined : `Cause: ${causeMessage}`,
    options.hint === undefined ? undefined : `Hint: ${options.hint}`,
  ];
  return lines.filter((line) => line !== undefined).join("\n");
}
