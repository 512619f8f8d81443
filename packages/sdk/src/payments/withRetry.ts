export type RetryOptions = {
  /** Attempts in all, the first included. Default 5. */
  attempts?: number;
  /** First delay, ms; doubles each time. Default 500. */
  baseMs?: number;
  /** Longest delay, ms. Default 30 000. */
  maxMs?: number;
  /** Whether an error is worth another attempt. Default: every error. */
  retryable?: (error: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
};

/** Runs `task`, retrying failures with exponential backoff and jitter; rethrows the last error. */
export async function withRetry<T>(task: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 5, baseMs = 500, maxMs = 30_000, retryable = () => true } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      const delay = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}
