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

/**
 * Base class of every error the SDK throws, in the manner of viem's `BaseError`: a one-line
 * `shortMessage` for UIs, `details` and `hint` for humans, `cause` for the chain, and a literal
 * `name` per subclass so callers can switch on it without `instanceof` across package copies.
 */
export class TeeTeeError extends Error {
  override name: string = "TeeTeeError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly hint: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(shortMessage: string, options: TeeTeeErrorOptions = {}) {
    const causeMessage = options.cause instanceof Error ? options.cause.message : undefined;
    const lines = [
      shortMessage,
      options.details === undefined ? undefined : `Details: ${options.details}`,
      causeMessage === undefined || causeMessage === options.details ? undefined : `Cause: ${causeMessage}`,
      options.hint === undefined ? undefined : `Hint: ${options.hint}`,
    ];
    super(lines.filter((line) => line !== undefined).join("\n"), { cause: options.cause });
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.hint = options.hint;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
