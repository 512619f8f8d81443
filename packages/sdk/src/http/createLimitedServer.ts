import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { resolveServerLimits, type ServerLimits } from "./serverLimits.js";

/** The JSON body of a refusal the server answers before any handler runs (431, 408, 400). */
export type ClientErrorBody = (status: number, code: string, message: string) => unknown;

export type CreateLimitedServerParameters = {
  limits?: Partial<ServerLimits>;
  /** The service's error shape; default `{ error: { status, code, message } }`. */
  errorBody?: ClientErrorBody;
};

const defaultErrorBody: ClientErrorBody = (status, code, message) => ({ error: { status, code, message } });

/** How long a refused connection may go on sending (read and discarded) before it is cut. */
const LINGER_MS = 2000;

const refusals: Record<string, (limits: ServerLimits) => { status: number; code: string; message: string }> =
  {
    HPE_HEADER_OVERFLOW: (limits) => ({
      status: 431,
      code: "request_header_fields_too_large",
      message: `The request's headers are larger than this server accepts (${limits.maxHeaderBytes} bytes).`,
    }),
    ERR_HTTP_REQUEST_TIMEOUT: (limits) => ({
      status: 408,
      code: "request_timeout",
      message:
        `The request was not received in time (headers within ${limits.headersTimeoutMs} ms, ` +
        `the whole request within ${limits.requestTimeoutMs} ms).`,
    }),
  };

const badRequest = { status: 400, code: "bad_request", message: "The request is not valid HTTP/1.1." };

const reasons: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/**
 * An `http.Server` with {@link ServerLimits} applied and every refusal Node makes before a handler runs (oversized
 * head, slow head or body, malformed request) answered with a JSON body and a clean close: the connection is
 * half-closed and what the client still sends is read and discarded, so the client reads the answer instead of a
 * connection reset. Node checks the timeouts on an interval; it is set to a quarter of the shorter timeout (at most
 * 1 s), so a refusal comes within 1.25 times the timeout.
 * @example
 * const server = createLimitedServer(app, { limits: { requestTimeoutMs: 30_000 } });
 * server.listen(8000, "127.0.0.1");
 */
export function createLimitedServer(
  handler: RequestListener,
  params: CreateLimitedServerParameters = {},
): Server {
  const limits = resolveServerLimits(params.limits);
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(limits.headersTimeoutMs / 4)),
    },
    handler,
  );
  const errorBody = params.errorBody ?? defaultErrorBody;
  const refused = new WeakSet<Duplex>();
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    // Node's parser reports every later chunk of a refused connection again: answer once.
    if (refused.has(socket)) return;
    refused.add(socket);
    const refusal = refusals[error.code ?? ""]?.(limits) ?? badRequest;
    if (!socket.writable || responseStarted(socket)) {
      socket.destroy();
      return;
    }
    refuse(socket, refusal.status, JSON.stringify(errorBody(refusal.status, refusal.code, refusal.message)));
  });
  return server;
}

/** Whether a handler already sent a response head on this socket (then no other answer can follow). */
function responseStarted(socket: Duplex): boolean {
  // Node keeps the in-flight response on the socket; its own clientError fallback makes the same check.
  return (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage?.headersSent === true;
}

function refuse(socket: Duplex, status: number, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.on("end", () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
