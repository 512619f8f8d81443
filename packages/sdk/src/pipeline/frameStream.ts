import { ENVELOPE_CONTENT_TYPE, PLAIN_FRAME_CONTENT_TYPE } from "../protocol/paths.js";
import { PipelineError } from "./errors.js";

/**
 * The frame stream: one long-lived connection per sender and runner that carries many frames, so a decode step
 * costs a write and a read on an open socket instead of an HTTP exchange. It starts as an HTTP/1.1 upgrade of
 * `GET /v1/frames` (`Connection: Upgrade`, `Upgrade: teetee-frames/1`, answered `101 Switching Protocols`);
 * after that both directions carry records:
 *
 *   u32 length (of everything after this field) | u8 type | u32 request id | u16 status | body
 *
 * Requests are sealed envelopes (type 1) or, in benchmarks, plain frames (type 2), with status 0. Each reply
 * repeats its request's id and carries the HTTP status the same frame would have got by `POST`, with a sealed
 * or plain frame, or (type 3) the JSON error a runner answers when it could not even open the frame. Replies
 * may come out of order; ids match them. Request ids start at 1: a record with id 0 comes from the runner
 * alone and says the connection is closing (its body is the JSON error why); frames still in flight are lost
 * and the sender opens a new connection. A runner closes only when the framing is lost (an unknown record type,
 * a length shorter than a header); a record over its size limit is answered 413 under its own id, its body
 * skipped, and the connection goes on. All integers are big-endian.
 */
export const FRAME_STREAM_PROTOCOL = "teetee-frames/1";

/** The id of the runner's last record on a connection it is about to close. */
export const CLOSING_ID = 0;

export const RECORD_TYPES = { envelope: 1, plain: 2, error: 3 } as const;
export type RecordType = (typeof RECORD_TYPES)[keyof typeof RECORD_TYPES];

/** Bytes before a record's body: length, type, id, status. */
export const RECORD_HEADER_LENGTH = 11;
const LENGTH_FIELD = 4;

export type FrameRecord = {
  type: RecordType;
  id: number;
  status: number;
  body: Uint8Array;
  /** Set when the record was too large to read: its body was skipped, and this is the answer it gets. */
  refused?: FrameStreamError;
};

/** A record that breaks the stream's framing (unknown type, declared length over the limit). */
export class FrameStreamError extends PipelineError {
  override name = "FrameStreamError" as const;
  /** The id of the record that broke the framing, when its header could be read. */
  recordId: number | undefined;
}

const CONTENT_TYPES: Record<RecordType, string> = {
  [RECORD_TYPES.envelope]: ENVELOPE_CONTENT_TYPE,
  [RECORD_TYPES.plain]: PLAIN_FRAME_CONTENT_TYPE,
  [RECORD_TYPES.error]: "application/json",
};

/** The content type the same body has over `POST /v1/frames`. */
export function recordContentType(type: RecordType): string {
  return CONTENT_TYPES[type];
}

/** The record type of a frame body sent or answered with `contentType` (parameters ignored). */
export function recordTypeOf(contentType: string): RecordType {
  const bare = contentType.split(";")[0]!.trim();
  if (bare === ENVELOPE_CONTENT_TYPE) return RECORD_TYPES.envelope;
  if (bare === PLAIN_FRAME_CONTENT_TYPE) return RECORD_TYPES.plain;
  if (bare === "application/json") return RECORD_TYPES.error;
  throw new FrameStreamError(`No frame stream record carries ${bare || "an empty content type"}`, {
    status: 415,
  });
}

/** One record, header and body in a single buffer so it goes out in one write. */
export function encodeRecord(record: FrameRecord): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + record.body.byteLength);
  out.writeUInt32BE(RECORD_HEADER_LENGTH - LENGTH_FIELD + record.body.byteLength, 0);
  out.writeUInt8(record.type, 4);
  out.writeUInt32BE(record.id >>> 0, 5);
  out.writeUInt16BE(record.status, 9);
  out.set(record.body, RECORD_HEADER_LENGTH);
  return out;
}

/**
 * Reassembles records from a byte stream cut anywhere. A record whose declared body is over `maxBodyBytes` comes
 * out as soon as its header is read, with an empty body and `refused` set (a 413 naming its id), and its body is
 * dropped as it arrives, never buffered: the sender gets its answer and the stream goes on. An unknown type or a
 * length shorter than a header throws {@link FrameStreamError}: then the framing is lost and the connection must
 * close.
 */
export class RecordReader {
  readonly #maxBodyBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of a refused record's body still to drop as they arrive. */
  #skipping = 0;

  constructor(maxBodyBytes: number) {
    this.#maxBodyBytes = maxBodyBytes;
  }

  /** Bytes received but not yet part of a whole record. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds received bytes and returns every record they complete, in order. */
  push(chunk: Uint8Array): FrameRecord[] {
    if (chunk.byteLength > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#buffered += chunk.byteLength;
    }
    const records: FrameRecord[] = [];
    for (;;) {
      if (this.#skipping > 0) {
        const dropped = Math.min(this.#skipping, this.#buffered);
        if (dropped > 0) this.#take(dropped);
        this.#skipping -= dropped;
        if (this.#skipping > 0) break;
      }
      if (this.#buffered < RECORD_HEADER_LENGTH) break;
      const head = this.#peek(RECORD_HEADER_LENGTH);
      const length = head.readUInt32BE(0);
      const type = head.readUInt8(4);
      if (length < RECORD_HEADER_LENGTH - LENGTH_FIELD) {
        throw new FrameStreamError(`Record length ${length} is shorter than a record header`, {
          status: 400,
        });
      }
      const bodyLength = length - (RECORD_HEADER_LENGTH - LENGTH_FIELD);
      const broken = (error: FrameStreamError) => {
        error.recordId = head.readUInt32BE(5);
        return error;
      };
      if (type !== RECORD_TYPES.envelope && type !== RECORD_TYPES.plain && type !== RECORD_TYPES.error) {
        throw broken(new FrameStreamError(`Unknown frame stream record type ${type}`, { status: 400 }));
      }
      if (bodyLength > this.#maxBodyBytes) {
        const id = head.readUInt32BE(5);
        const status = head.readUInt16BE(9);
        const refused = broken(
          new FrameStreamError(`Frame is larger than ${this.#maxBodyBytes} bytes`, {
            status: 413,
            details: `the record declares ${bodyLength} bytes`,
          }),
        );
        this.#take(RECORD_HEADER_LENGTH);
        this.#skipping = bodyLength;
        records.push({ type, id, status, body: new Uint8Array(0), refused });
        continue;
      }
      if (this.#buffered < LENGTH_FIELD + length) break;
      const whole = this.#take(LENGTH_FIELD + length);
      records.push({
        type,
        id: whole.readUInt32BE(5),
        status: whole.readUInt16BE(9),
        body: new Uint8Array(whole.buffer, whole.byteOffset + RECORD_HEADER_LENGTH, bodyLength),
      });
    }
    return records;
  }

  /** The first `n` buffered bytes, without consuming them. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.byteLength >= n) return first;
    this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  /** Consumes the first `n` buffered bytes (a copy when they span chunks, else a view). */
  #take(n: number): Buffer {
    const first = this.#peek(n);
    const taken = first.subarray(0, n);
    if (first.byteLength === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#buffered -= n;
    return taken;
  }
}
