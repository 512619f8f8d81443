import { z } from "zod";

/**
 * What an HTTP server accepts from a client, set on purpose rather than left to Node's defaults (a 5-minute request
 * timeout checked every 30 s, and oversized heads answered with an empty 431 or a connection reset).
 */
export type ServerLimits = {
  /** Largest request head (request line and headers), bytes; a larger one is answered 431. */
  maxHeaderBytes: number;
  /** Time to receive a request's head, ms; 408 after. At most `requestTimeoutMs`. */
  headersTimeoutMs: number;
  /**
   * Time to receive a whole request (head and body), ms; 408 after. It bounds receiving only: a response that streams
   * for longer (server-sent events, upgraded frame streams) is not cut.
   */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests, ms. */
  keepAliveTimeoutMs: number;
};

export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

const milliseconds = z.coerce.number().int().min(1);

/** The limits as configuration fields (merge into a service's config schema); each falls back to its default. */
export const serverLimitsShape = {
  maxHeaderBytes: z.coerce.number().int().min(1024).default(DEFAULT_SERVER_LIMITS.maxHeaderBytes),
  headersTimeoutMs: milliseconds.default(DEFAULT_SERVER_LIMITS.headersTimeoutMs),
  requestTimeoutMs: milliseconds.default(DEFAULT_SERVER_LIMITS.requestTimeoutMs),
  keepAliveTimeoutMs: milliseconds.default(DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs),
};

export const serverLimitsSchema = z
  .object(serverLimitsShape)
  .refine((limits) => limits.headersTimeoutMs <= limits.requestTimeoutMs, {
    message: "headersTimeoutMs must be at most requestTimeoutMs (the head is part of the request)",
    path: ["headersTimeoutMs"],
  });

/** Fills in defaults and checks the rule between the timeouts; throws zod's error naming the broken rule. */
export function resolveServerLimits(limits: Partial<ServerLimits> = {}): ServerLimits {
  return serverLimitsSchema.parse(limits);
}

/**
 * The limits as command-line flags and environment variables, for a service's option table (one definition for
 * every server). `streams` names what the request timeout does not cut; `keepAliveDefaultMs` is the service's own.
 */
export function serverLimitOptions(service: { streams: string; keepAliveDefaultMs: number }): {
  flag: string;
  env: string;
  key: keyof ServerLimits;
  help: string;
}[] {
  return [
    {
      flag: "max-header-bytes",
      env: "TEETEE_MAX_HEADER_BYTES",
      key: "maxHeaderBytes",
      help: `largest request head, else 431 (default ${DEFAULT_SERVER_LIMITS.maxHeaderBytes})`,
    },
    {
      flag: "headers-timeout-ms",
      env: "TEETEE_HEADERS_TIMEOUT_MS",
      key: "headersTimeoutMs",
      help: `time to receive a request's head, else 408 (default ${DEFAULT_SERVER_LIMITS.headersTimeoutMs})`,
    },
    {
      flag: "request-timeout-ms",
      env: "TEETEE_REQUEST_TIMEOUT_MS",
      key: "requestTimeoutMs",
      help: `time to receive a whole request, else 408; ${service.streams} are not cut (default ${DEFAULT_SERVER_LIMITS.requestTimeoutMs})`,
    },
    {
      flag: "keep-alive-timeout-ms",
      env: "TEETEE_KEEP_ALIVE_TIMEOUT_MS",
      key: "keepAliveTimeoutMs",
      help: `idle keep-alive connections close after (default ${service.keepAliveDefaultMs})`,
    },
  ];
}
