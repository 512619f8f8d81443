import { connect } from "node:net";

/** What came back on one raw connection: the first response, and how the connection ended. */
export type RawReply = {
  /** 0 when no response arrived. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The connection was reset (ECONNRESET/EPIPE) instead of closed. */
  reset: boolean;
  /** The connection was still open when `waitMs` ran out. */
  open: boolean;
  /** Time from connecting to the first response byte (or to the end, when none came). */
  ms: number;
};

/**
 * Writes `request` as-is on a fresh TCP connection and reads until the server closes it (or `waitMs` passes), so
 * tests see what a client sees: resets, empty bodies and silence included.
 */
export function rawHttp(url: string, request: string, waitMs = 5000): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    let firstByteMs: number | undefined;
    let received = "";
    let reset = false;
    const socket = connect(Number(port), hostname);
    const finish = (open: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(received), reset, open, ms: firstByteMs ?? Date.now() - started });
    };
    const timer = setTimeout(() => finish(true), waitMs);
    socket.on("data", (chunk) => {
      firstByteMs ??= Date.now() - started;
      received += chunk.toString("latin1");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      reset = error.code === "ECONNRESET" || error.code === "EPIPE";
    });
    socket.on("close", () => finish(false));
    socket.write(request);
  });
}

function parseResponse(text: string): Pick<RawReply, "status" | "headers" | "body"> {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: text };
  const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? Number.NaN);
  const rest = text.slice(end + 4);
  return {
    status: Number(statusLine.split(" ")[1] ?? 0),
    headers,
    body: Number.isNaN(length) ? rest : rest.slice(0, length),
  };
}

/** A request head with one `X-Padding` header of `bytes` bytes. */
export function oversizedHeadRequest(path: string, bytes: number): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${"a".repeat(bytes)}\r\n\r\n`;
}

/** A POST that declares `declared` body bytes and sends only `sent` of them. */
export function partialBodyRequest(
  path: string,
  declared: number,
  sent: number,
  contentType: string,
): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\n` +
    `Content-Length: ${declared}\r\nConnection: close\r\n\r\n${"x".repeat(sent)}`
  );
}
