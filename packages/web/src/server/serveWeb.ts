import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment } from "@teetee/contracts/deployments";
import { TeeTeeError } from "@teetee/errors";
import { createLimitedServer, type ServerLimits } from "@teetee/sdk/http";

export const distDir: string = fileURLToPath(new URL("../../dist/", import.meta.url));

export type ServeWebParameters = {
  /** Port to listen on (loopback only); 0 picks a free one. */
  port?: number;
  /** The chain's JSON-RPC URL as the browser reaches it. */
  rpcUrl: string;
  deployment: Deployment;
  /** The gateway the playground talks to (proxied under `/gateway`, as gateways send no CORS headers). */
  gatewayUrl?: string;
  chainName?: string;
  /** The built app; defaults to packages/web/dist (`pnpm web:build`). */
  dir?: string;
  /** Largest body the proxy forwards, else 413 (default 4 MiB, the gateway's own limit). */
  maxBodyBytes?: number;
  /** Header size and request timeouts (the SDK's `ServerLimits`; its defaults). */
  limits?: Partial<ServerLimits>;
};

export type ServedWeb = { url: string; close: () => Promise<void> };

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/** The runner paths the app may read through the proxy; nothing else is forwarded. */
const runnerPaths = new Set(["/v1/attestation", "/healthz", "/v1/registration", "/v1/load"]);

/** The gateway's own body limit: a larger body could only be refused there. */
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

class BodyTooLargeError extends TeeTeeError {
  override name = "BodyTooLargeError" as const;
}

/** The request's body, refused (before reading, when its length is declared) past `maxBytes`. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new BodyTooLargeError(`The request body is larger than ${maxBytes} bytes.`);
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).byteLength;
    if (length > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function answerJson(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ error: { message } });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function forward(req: IncomingMessage, res: ServerResponse, target: string, maxBodyBytes: number) {
  let body: Buffer | undefined;
  try {
    body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req, maxBodyBytes);
  } catch (error) {
    // A body cut short (the client left, or the request timeout answered 408) leaves nothing to answer.
    if (error instanceof BodyTooLargeError) answerJson(res, 413, error.message);
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of ["content-type", "authorization", "accept"]) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  try {
    const upstream = await fetch(target, {
      method: req.method ?? "GET",
      headers,
      ...(body === undefined ? {} : { body: new Uint8Array(body) }),
      signal: AbortSignal.timeout(120_000),
    });
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name === "content-type" || name.startsWith("x-teetee-")) out[name] = value;
    });
    res.writeHead(upstream.status, out);
    res.end(Buffer.from(await upstream.arrayBuffer()));
  } catch {
    answerJson(res, 502, `Could not reach ${new URL(target).origin}`);
  }
}

function runnerTarget(url: URL): string | undefined {
  const endpoint = url.searchParams.get("endpoint") ?? "";
  const path = url.searchParams.get("path") ?? "";
  if (!runnerPaths.has(path) || !/^https?:\/\/[^/]+/.test(endpoint)) return undefined;
  return `${endpoint.replace(/\/+$/, "")}${path}`;
}

async function serveStatic(dir: string, pathname: string, res: ServerResponse): Promise<void> {
  const relative = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, "");
  let file = join(dir, relative);
  if (!file.startsWith(dir) || !existsSync(file) || relative === "/" || relative === "")
    file = join(dir, "index.html");
  try {
    const content = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(content);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("Not found");
  }
}

/**
 * Serves the built web app on loopback with a runtime `config.json` (chain, contracts, gateway), and proxies the
 * gateway (`/gateway/*`) and a fixed set of runner paths (`/runner-proxy?endpoint=…&path=…`) for the browser.
 * @example
 * const web = await serveWeb({ rpcUrl, deployment, gatewayUrl }); console.log(web.url); await web.close();
 */
export async function serveWeb(params: ServeWebParameters): Promise<ServedWeb> {
  const dir = params.dir ?? distDir;
  if (!existsSync(join(dir, "index.html"))) {
    throw new Error(`No built web app in ${dir}. Build it first: pnpm web:build`);
  }
  const gateway = params.gatewayUrl?.replace(/\/+$/, "");
  const config = JSON.stringify({
    rpcUrl: params.rpcUrl,
    chainName: params.chainName,
    deployment: params.deployment,
    gatewayUrl: gateway === undefined ? null : "/gateway",
    publicGatewayUrl: gateway ?? null,
    runnerProxy: "/runner-proxy",
  });
  const maxBodyBytes = params.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const handle: RequestListener = (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(config);
    } else if (url.pathname.startsWith("/gateway/") && gateway !== undefined) {
      const target = `${gateway}${url.pathname.slice("/gateway".length)}${url.search}`;
      void forward(req, res, target, maxBodyBytes);
    } else if (url.pathname === "/runner-proxy") {
      const target = runnerTarget(url);
      if (target === undefined) answerJson(res, 400, "Unsupported runner URL or path");
      else void forward(req, res, target, maxBodyBytes);
    } else void serveStatic(dir, url.pathname, res);
  };
  const server = createLimitedServer(handle, {
    ...(params.limits === undefined ? {} : { limits: params.limits }),
    errorBody: (_status, _code, message) => ({ error: { message } }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(params.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
