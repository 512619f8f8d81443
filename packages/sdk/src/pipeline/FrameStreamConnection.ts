import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import { FRAMES_PATH, runnerUrl } from "../protocol/paths.js";
import {
  CLOSING_ID,
  encodeRecord,
  FRAME_STREAM_PROTOCOL,
  type FrameRecord,
  type FrameStreamError,
  RecordReader,
  recordContentType,
  recordTypeOf,
} from "./frameStream.js";
import { type PostFrameReturnType, unreachable } from "./postFrame.js";

/** Largest reply a sender accepts on a stream: a last shard's prefill answers a token, others activations. */
const MAX_REPLY_BYTES = 256 * 1024 * 1024;

type Pending = {
  resolve: (reply: PostFrameReturnType) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * One upgraded connection to a runner's frame stream, shared by every session sending to that runner from this
 * process. Requests are matched to replies by id, so sessions never wait on each other's frames. The socket is
 * unreferenced while nothing is in flight, so an idle connection never keeps a process alive. A broken
 * connection fails what was in flight with {@link RunnerUnreachableError} and is not reused.
 */
export class FrameStreamConnection {
  readonly endpoint: string;
  readonly #socket: Socket;
  readonly #reader = new RecordReader(MAX_REPLY_BYTES);
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed: Error | undefined;

  private constructor(endpoint: string, socket: Socket) {
    this.endpoint = endpoint;
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.unref();
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on("error", (cause) => this.#fail(cause));
    socket.on("close", () => this.#fail(new Error("the runner closed the frame stream")));
  }

  /**
   * Upgrades `GET {endpoint}/v1/frames` to a frame stream. Resolves `undefined` when the runner (or a proxy in
   * front of it) answers the upgrade with anything but 101: the caller then posts frames one by one.
   */
  static open(endpoint: string, timeoutMs: number): Promise<FrameStreamConnection | undefined> {
    const url = new URL(runnerUrl(endpoint, FRAMES_PATH));
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: "GET",
        agent: false,
        headers: { connection: "Upgrade", upgrade: FRAME_STREAM_PROTOCOL },
        timeout: timeoutMs,
      });
      req.on("upgrade", (res, socket, head) => {
        if (res.headers.upgrade?.toLowerCase() !== FRAME_STREAM_PROTOCOL) {
          socket.destroy();
          resolve(undefined);
          return;
        }
        socket.setTimeout(0);
        const connection = new FrameStreamConnection(endpoint, socket);
        if (head.byteLength > 0) connection.#receive(head);
        resolve(connection);
      });
      req.on("response", (res) => {
        res.resume();
        resolve(undefined);
      });
      req.on("timeout", () => req.destroy(new Error(`no answer to the upgrade within ${timeoutMs} ms`)));
      req.on("error", (cause) => reject(unreachable(endpoint, cause)));
      req.end();
    });
  }

  /** False once the connection broke or was closed; a closed connection refuses new frames. */
  get usable(): boolean {
    return this.#closed === undefined;
  }

  /** Sends one frame body and resolves with the runner's reply, as `POST /v1/frames` would have answered. */
  exchange(contentType: string, body: Uint8Array, timeoutMs: number): Promise<PostFrameReturnType> {
    if (this.#closed !== undefined) return Promise.reject(unreachable(this.endpoint, this.#closed));
    const id = this.#nextId;
    this.#nextId = this.#nextId === 0xffff_ffff ? CLOSING_ID + 1 : this.#nextId + 1;
    const record = encodeRecord({ type: recordTypeOf(contentType), id, status: 0, body });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(id);
        reject(unreachable(this.endpoint, new Error(`no reply within ${timeoutMs} ms`)));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      if (this.#pending.size === 1) this.#socket.ref();
      this.#socket.write(record);
    });
  }

  /** Closes the connection; frames in flight fail as unreachable. */
  close(): void {
    this.#fail(new Error("the frame stream was closed"));
  }

  #receive(chunk: Uint8Array): void {
    let records: FrameRecord[];
    try {
      records = this.#reader.push(chunk);
    } catch (cause) {
      this.#fail(cause as FrameStreamError);
      return;
    }
    for (const record of records) {
      if (record.id === CLOSING_ID) {
        this.#fail(
          new Error(`the runner is closing the frame stream: ${Buffer.from(record.body).toString()}`),
        );
        return;
      }
      const pending = this.#settle(record.id);
      if (pending === undefined) continue; // a reply after its request timed out
      if (record.refused !== undefined) {
        pending.reject(unreachable(this.endpoint, record.refused));
        continue;
      }
      pending.resolve({
        status: record.status,
        contentType: recordContentType(record.type),
        body: record.body,
      });
    }
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (this.#pending.size === 0) this.#socket.unref();
    return pending;
  }

  #fail(cause: Error): void {
    if (this.#closed === undefined) this.#closed = cause;
    for (const id of [...this.#pending.keys()]) this.#settle(id)!.reject(unreachable(this.endpoint, cause));
    this.#socket.destroy();
  }
}
