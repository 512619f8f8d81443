import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, type Hex } from "viem";
import { ReceiptError } from "./errors.js";

/** The incremental hash a {@link ReceiptHasher} feeds: @noble/hashes' `sha256.create()` or Node's `createHash`. */
export type StreamingHash = { update(data: Uint8Array): unknown; digest(): Uint8Array };

/** Record kinds: what one position's bytes are. */
export const RECORD_TOKEN = 1;
export const RECORD_FP32_ROW = 2;
export const RECORD_FP16_ROW = 3;
/** Bytes before each record's data: u32 position, u8 kind, u32 data length (little-endian). */
export const RECORD_HEADER_LENGTH = 9;

/**
 * The digest behind a receipt's `inputHash` and `outputHash`: SHA-256 over one record per position, in order,
 * `u32 position | u8 kind | u32 length | data` (little-endian), where data is a token id (u32) or one activation row
 * (fp32 or fp16 bits, exactly the bytes that travel). One record per position, not per frame, so the sender's
 * output digest and the receiver's input digest agree however the positions were chunked into frames (the chunking
 * is in the receipt's `paramsHash` instead), and a verifier recomputes the token digests from token ids alone.
 *
 * @example
 * const input = new ReceiptHasher();
 * input.tokens(0, promptIds);            // shard 0's input
 * const output = new ReceiptHasher();
 * output.tokens(promptIds.length, [42]); // the last shard's first sampled token
 * output.digest();
 */
export class ReceiptHasher {
  readonly #hash: StreamingHash;
  readonly #header = new Uint8Array(RECORD_HEADER_LENGTH);
  readonly #headerView = new DataView(this.#header.buffer);
  #records = 0;
  #digest: Hex | undefined;

  constructor(create: () => StreamingHash = () => sha256.create()) {
    this.#hash = create();
  }

  /** How many position records went in. */
  get records(): number {
    return this.#records;
  }

  /** Token ids at `positionStart`, `positionStart + 1`, …: shard 0's input, or the last shard's samples. */
  tokens(positionStart: number, tokenIds: ArrayLike<number>): void {
    const id = new Uint8Array(4);
    const view = new DataView(id.buffer);
    for (let i = 0; i < tokenIds.length; i++) {
      view.setUint32(0, tokenIds[i]!, true);
      this.#record(positionStart + i, RECORD_TOKEN, id);
    }
  }

  /** Activation rows of `width` values at `positionStart`, …, as the bytes that travel (fp32 or fp16 bits). */
  rows(positionStart: number, data: Float32Array | Uint16Array, width: number): void {
    if (width <= 0 || data.length % width !== 0) {
      throw new ReceiptError("Activation rows do not divide the data", {
        details: `${data.length} values, rows of ${width}`,
      });
    }
    const kind = data instanceof Float32Array ? RECORD_FP32_ROW : RECORD_FP16_ROW;
    const rowBytes = width * data.BYTES_PER_ELEMENT;
    const bytes = littleEndianBytes(data);
    for (let row = 0; row < data.length / width; row++) {
      this.#record(positionStart + row, kind, bytes.subarray(row * rowBytes, (row + 1) * rowBytes));
    }
  }

  /** The digest of every record so far; the hasher takes no more after it. */
  digest(): Hex {
    this.#digest ??= bytesToHex(this.#hash.digest());
    return this.#digest;
  }

  #record(position: number, kind: number, data: Uint8Array): void {
    if (this.#digest !== undefined) throw new ReceiptError("This receipt hash is already final");
    this.#headerView.setUint32(0, position, true);
    this.#headerView.setUint8(4, kind);
    this.#headerView.setUint32(5, data.length, true);
    this.#hash.update(this.#header);
    this.#hash.update(data);
    this.#records += 1;
  }
}

/** The sampling a session ran with, as the wire carries it. */
export type ReceiptSampling = { temperature: number; topK: number; topP: number; seed: number };

/** One frame a runner computed for the session: its positions, and whether it sampled nothing. */
export type ReceiptFrame = { positionStart: number; positionCount: number; skipSample?: boolean };

export type ReceiptParams = {
  sampling: ReceiptSampling;
  logprobs: boolean;
  /** The dtype the runner sent its activations on in; `undefined` on the last shard (it sends tokens). */
  activationDtype: "fp32" | "fp16" | undefined;
  frames: readonly ReceiptFrame[];
};

const PARAMS_MAGIC = [0x54, 0x54, 0x52, 0x50]; // "TTRP"

/**
 * A receipt's `paramsHash`: SHA-256 of `"TTRP" | u8 version 1 | f64 temperature | u32 topK | f64 topP | u32 seed |
 * u8 logprobs | u8 dtype (0 none, 1 fp32, 2 fp16) | u32 frame count | per frame (u32 start, u32 count, u8 skip)`,
 * little-endian. These decide a runner's outputs besides its inputs: chunking a prefill differently may change the
 * last bits of its activations, so two honest receipts may differ in output only where this hash differs.
 */
export function receiptParamsHash({ sampling, logprobs, activationDtype, frames }: ReceiptParams): Hex {
  const bytes = new Uint8Array(4 + 1 + 24 + 2 + 4 + frames.length * 9);
  const view = new DataView(bytes.buffer);
  bytes.set(PARAMS_MAGIC, 0);
  view.setUint8(4, 1);
  view.setFloat64(5, sampling.temperature, true);
  view.setUint32(13, sampling.topK, true);
  view.setFloat64(17, sampling.topP, true);
  view.setUint32(25, sampling.seed, true);
  view.setUint8(29, logprobs ? 1 : 0);
  view.setUint8(30, activationDtype === undefined ? 0 : activationDtype === "fp32" ? 1 : 2);
  view.setUint32(31, frames.length, true);
  frames.forEach((frame, i) => {
    const at = 35 + i * 9;
    view.setUint32(at, frame.positionStart, true);
    view.setUint32(at + 4, frame.positionCount, true);
    view.setUint8(at + 8, frame.skipSample === true ? 1 : 0);
  });
  return bytesToHex(sha256(bytes));
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(data: Float32Array | Uint16Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i]!, true);
    else view.setUint16(i * 2, data[i]!, true);
  }
  return out;
}
