/** One streamed request of a soak: how it ended and how long it took. */
export type SoakRequest = {
  /** HTTP status; 200 for a stream that ended with [DONE], 0 when the connection failed. */
  status: number;
  /** ms from sending to the first content token (undefined when none arrived). */
  ttftMs?: number;
  /** ms from sending to the end. */
  totalMs: number;
  completionTokens: number;
  /** Set when a stream that began with 200 ended with an error event or without [DONE]. */
  brokenStream?: boolean;
  /** The error's message, for refusals and broken streams. */
  message?: string;
};

export type SoakSummary = {
  requests: number;
  served: number;
  /** Refusals and failures by status ("200-broken" for streams that began and then failed). */
  refusedByStatus: Record<string, number>;
  /** The first error message seen per status. */
  exampleByStatus: Record<string, string>;
  completionTokens: number;
  tokensPerSecond: number;
  ttftMs: { p50: number; p95: number; max: number } | undefined;
};

/** The `q` quantile (0..1) of `xs` by the nearest-rank method; undefined for no values. */
export function quantile(xs: readonly number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** Totals of a soak run that lasted `seconds`. */
export function summarizeSoak(requests: readonly SoakRequest[], seconds: number): SoakSummary {
  const served = requests.filter((r) => r.status === 200 && r.brokenStream !== true);
  const refusedByStatus: Record<string, number> = {};
  const exampleByStatus: Record<string, string> = {};
  for (const r of requests) {
    if (r.status === 200 && r.brokenStream !== true) continue;
    const key = r.brokenStream === true ? `${r.status}-broken` : String(r.status);
    refusedByStatus[key] = (refusedByStatus[key] ?? 0) + 1;
    if (r.message !== undefined) exampleByStatus[key] ??= r.message;
  }
  const completionTokens = served.reduce((sum, r) => sum + r.completionTokens, 0);
  const ttfts = served.flatMap((r) => (r.ttftMs === undefined ? [] : [r.ttftMs]));
  return {
    requests: requests.length,
    served: served.length,
    refusedByStatus,
    exampleByStatus,
    completionTokens,
    tokensPerSecond: seconds > 0 ? completionTokens / seconds : 0,
    ttftMs:
      ttfts.length === 0
        ? undefined
        : { p50: quantile(ttfts, 0.5)!, p95: quantile(ttfts, 0.95)!, max: quantile(ttfts, 1)! },
  };
}

/**
 * Splits an SSE body received in arbitrary chunks into the `data:` payloads of its events. Feed chunks with
 * `push`; each returns the payloads completed by it.
 */
export class SseDataReader {
  #buffer = "";

  push(chunk: string): string[] {
    this.#buffer += chunk.replace(/\r\n/g, "\n");
    const events: string[] = [];
    for (let end = this.#buffer.indexOf("\n\n"); end >= 0; end = this.#buffer.indexOf("\n\n")) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""));
      if (data.length > 0) events.push(data.join("\n"));
    }
    return events;
  }
}
