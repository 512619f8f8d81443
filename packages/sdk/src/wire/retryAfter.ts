/**
 * An error frame carries a status code and a message only. A refusal that may pass when sent again later (a
 * runner over a buyer's concurrency limit) ends its message with when, so the gateway can answer HTTP's
 * Retry-After: `<message> (retry after <seconds> s)`.
 */
const suffix = /\s\(retry after (\d{1,9}) s\)$/;

/** `message` with the retry hint appended, or unchanged when `seconds` is undefined. */
export function withRetryAfter(message: string, seconds: number | undefined): string {
  if (seconds === undefined) return message;
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > 999_999_999)
    throw new RangeError(`retry-after must be whole seconds in 0..999999999, got ${seconds}`);
  return `${message} (retry after ${seconds} s)`;
}

/** The seconds an error frame's message says to wait before retrying, if it says. */
export function retryAfterOf(message: string): number | undefined {
  const match = suffix.exec(message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
