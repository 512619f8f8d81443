import { FRAMES_PATH, runnerUrl } from "../protocol/paths.js";
import { FrameStreamConnection } from "./FrameStreamConnection.js";
import { type PostFrameReturnType, postFrame } from "./postFrame.js";

/**
 * `stream`: frames go over one upgraded connection per runner (see `frameStream.ts`), falling back to `http`
 * for a runner that does not upgrade. `http`: one `POST /v1/frames` per frame on keep-alive sockets.
 */
export type FrameTransport = "stream" | "http";

export type SendFrameParameters = {
  /** The runner's base URL, as registered on-chain. */
  endpoint: string;
  body: Uint8Array;
  contentType: string;
  /** Abort after this long; default 120 s (a long prefill on a big shard takes a while). */
  timeoutMs?: number;
  /** Default `stream`. */
  transport?: FrameTransport;
};

const DEFAULT_TIMEOUT_MS = 120_000;
/** How long a runner that refused the upgrade is sent plain POSTs before the upgrade is tried again. */
const UPGRADE_RETRY_MS = 60_000;
const UPGRADE_TIMEOUT_MS = 10_000;

const streams = new Map<string, Promise<FrameStreamConnection | undefined>>();
const refusedAt = new Map<string, number>();

/**
 * Sends one frame body to a runner and returns its reply (status, content type, body), whichever transport
 * carried it. Never throws for an error status (the caller reads the reply); throws
 * `RunnerUnreachableError` when no reply arrives.
 */
export async function sendFrame(params: SendFrameParameters): Promise<PostFrameReturnType> {
  const timeoutMs = params.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (params.transport !== "http") {
    const connection = await streamTo(params.endpoint, timeoutMs);
    if (connection !== undefined) return connection.exchange(params.contentType, params.body, timeoutMs);
  }
  return postFrame({
    url: runnerUrl(params.endpoint, FRAMES_PATH),
    body: params.body,
    contentType: params.contentType,
    timeoutMs,
  });
}

/** The open stream to `endpoint`, opening one if there is none; `undefined` when the runner does not upgrade. */
async function streamTo(endpoint: string, timeoutMs: number): Promise<FrameStreamConnection | undefined> {
  const refused = refusedAt.get(endpoint);
  if (refused !== undefined && Date.now() - refused < UPGRADE_RETRY_MS) return undefined;
  const current = streams.get(endpoint);
  if (current !== undefined) {
    const connection = await current.catch(() => undefined);
    if (connection?.usable) return connection;
    // Another caller already replaced a broken or refused stream: use (or wait for) its replacement.
    if (streams.get(endpoint) !== current) return streamTo(endpoint, timeoutMs);
  }
  const opening = FrameStreamConnection.open(endpoint, Math.min(timeoutMs, UPGRADE_TIMEOUT_MS));
  streams.set(endpoint, opening);
  const forget = () => {
    if (streams.get(endpoint) === opening) streams.delete(endpoint);
  };
  opening.then((connection) => {
    if (connection !== undefined) return;
    refusedAt.set(endpoint, Date.now());
    forget();
  }, forget);
  return opening;
}

/** Closes every frame stream this process opened (frames in flight fail); later frames open new ones. */
export function closeFrameStreams(): void {
  for (const [endpoint, opening] of streams) {
    streams.delete(endpoint);
    opening.then((connection) => connection?.close()).catch(() => undefined);
  }
  refusedAt.clear();
}
