import { Agent, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { RunnerUnreachableError } from "./errors.js";

export type PostFrameParameters = {
  url: string;
  body: Uint8Array;
  contentType: string;
  /** Abort after this long; default 120 s (a long prefill on a big shard takes a while). */
  timeoutMs?: number;
};

export type PostFrameReturnType = {
  status: number;
  contentType: string;
  body: Uint8Array;
  /** The runner's `Retry-After` (whole seconds) on a refusal that may pass later, e.g. a 503 when it is full. */
  retryAfterSeconds?: number;
};

// Keep-alive sockets: a decode step is one small request per hop, so a fresh TCP connection per frame would
// cost more than the frame itself.
const httpAgent = new Agent({ keepAlive: true, maxSockets: 64, scheduling: "lifo" });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, scheduling: "lifo" });

/**
 * POSTs one binary frame and collects the binary reply, over a shared keep-alive agent. Never throws for
 * an HTTP error status (the caller reads the reply frame); throws {@link RunnerUnreachableError} when no
 * reply arrives.
 */
export function postFrame(params: PostFrameParameters): Promise<PostFrameReturnType> {
  const url = new URL(params.url);
  const secure = url.protocol === "https:";
  const send = secure ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: "POST",
        agent: secure ? httpsAgent : httpAgent,
        headers: { "content-type": params.contentType, "content-length": params.body.byteLength },
        timeout: params.timeoutMs ?? 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (cause) => reject(unreachable(params.url, cause)));
        res.on("end", () => {
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const retryAfterSeconds = retryAfterHeader(res.headers["retry-after"]);
          resolve({
            status: res.statusCode ?? 0,
            contentType: (res.headers["content-type"] ?? "").split(";")[0]!.trim(),
            body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
            ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no reply within ${params.timeoutMs ?? 120_000} ms`)));
    req.on("error", (cause) => reject(unreachable(params.url, cause)));
    req.end(params.body);
  });
}

/** No reply from a runner (at `url`, an endpoint or a frame URL): a 502 a caller may fail over from. */
export function unreachable(url: string, cause: unknown): RunnerUnreachableError {
  return new RunnerUnreachableError(`Runner at ${url} did not answer`, {
    cause,
    status: 502,
    hint: "Check the runner is up, or pick another runner for this shard.",
  });
}

/** HTTP's `Retry-After` in its delay-seconds form (the only one runners send); anything else is ignored. */
export function retryAfterHeader(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
