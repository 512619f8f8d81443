import { FrameTruncatedError } from "./errors.js";

/** Reads little-endian fields with a bounds check on every read, so decoding never over-reads. */
export class FrameReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #end: number;
  #offset: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = start;
    this.#end = end;
  }

  get offset(): number {
    return this.#offset;
  }

  #take(length: number, field: string): number {
    if (length > this.#end - this.#offset) {
      throw new FrameTruncatedError(`Frame ends inside ${field}`, {
        details: `need ${length} bytes at offset ${this.#offset}, ${this.#end - this.#offset} left`,
      });
    }
    const at = this.#offset;
    this.#offset += length;
    return at;
  }

  u8(field: string): number {
    return this.#view.getUint8(this.#take(1, field));
  }

  u16(field: string): number {
    return this.#view.getUint16(this.#take(2, field), true);
  }

  u32(field: string): number {
    return this.#view.getUint32(this.#take(4, field), true);
  }

  u64(field: string): bigint {
    return this.#view.getBigUint64(this.#take(8, field), true);
  }

  /** A copy, so decoded frames never alias the (possibly pooled) input buffer. */
  bytes(length: number, field: string): Uint8Array {
    const at = this.#take(length, field);
    return this.#bytes.slice(at, at + length);
  }
}
