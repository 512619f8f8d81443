import { float16BitsToFloat32, float32ToFloat16Array, float32ToFloat16Bits } from "../float16.js";
import { type GgmlType, ggmlByteLength } from "./ggmlTypes.js";
import { GgufError } from "./ggufError.js";

const BLOCK = 32;
const f32 = Math.fround;

/**
 * fp32 values to the bytes of a ggml tensor of `type`, the way ggml's reference quantizers
 * (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`) compute them, in fp32 arithmetic. Blocks run along the
 * flattened values, so callers keep every row a whole number of blocks.
 */
export function encodeGgml(values: Float32Array, type: GgmlType): Uint8Array {
  switch (type) {
    case "F32":
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case "F16": {
      const halves = float32ToFloat16Array(values);
      return new Uint8Array(halves.buffer, halves.byteOffset, halves.byteLength);
    }
    case "Q8_0":
      return quantizeBlocks(values, type, quantizeQ8_0Block);
    case "Q4_0":
      return quantizeBlocks(values, type, quantizeQ4_0Block);
  }
}

/** The values a ggml tensor's bytes stand for: what llama.cpp computes with. */
export function decodeGgml(bytes: Uint8Array, type: GgmlType, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (type === "F32") return new Float32Array(bytes.slice().buffer, 0, count);
  if (type === "F16") {
    for (let i = 0; i < count; i++) out[i] = float16BitsToFloat32(view.getUint16(2 * i, true));
    return out;
  }
  const blockBytes = ggmlByteLength(type, BLOCK);
  for (let b = 0; b < count / BLOCK; b++) {
    const at = b * blockBytes;
    const scale = float16BitsToFloat32(view.getUint16(at, true));
    for (let j = 0; j < BLOCK; j++) out[b * BLOCK + j] = f32(scale * blockValue(view, type, at + 2, j));
  }
  return out;
}

function blockValue(view: DataView, type: "Q8_0" | "Q4_0", at: number, j: number): number {
  if (type === "Q8_0") return view.getInt8(at + j);
  const byte = view.getUint8(at + (j % 16));
  return (j < 16 ? byte & 0x0f : byte >> 4) - 8;
}

function quantizeBlocks(
  values: Float32Array,
  type: "Q8_0" | "Q4_0",
  quantizeBlock: (block: Float32Array, out: DataView) => void,
): Uint8Array {
  if (values.length % BLOCK !== 0) {
    throw new GgufError(`${values.length} values are not a whole number of ${type} blocks of ${BLOCK}`);
  }
  const blockBytes = ggmlByteLength(type, BLOCK);
  const out = new Uint8Array(ggmlByteLength(type, values.length));
  for (let b = 0; b < values.length / BLOCK; b++) {
    const block = values.subarray(b * BLOCK, (b + 1) * BLOCK);
    quantizeBlock(block, new DataView(out.buffer, b * blockBytes, blockBytes));
  }
  return out;
}

/** Scale amax / 127, values rounded half away from zero (C's roundf). */
function quantizeQ8_0Block(block: Float32Array, out: DataView): void {
  let amax = 0;
  for (const x of block) amax = Math.max(amax, Math.abs(x));
  const d = f32(amax / 127);
  const id = d ? f32(1 / d) : 0;
  out.setUint16(0, float32ToFloat16Bits(d), true);
  for (let j = 0; j < BLOCK; j++) {
    const x = f32(block[j]! * id);
    out.setInt8(2 + j, Math.sign(x) * Math.round(Math.abs(x)));
  }
}

/**
 * Scale max / -8 where max is the value of largest magnitude (sign kept, first one on ties), so that value maps
 * to -8 exactly; the others to trunc(x / d + 8.5) capped at 15.
 */
function quantizeQ4_0Block(block: Float32Array, out: DataView): void {
  let amax = 0;
  let max = 0;
  for (const x of block) {
    if (amax < Math.abs(x)) {
      amax = Math.abs(x);
      max = x;
    }
  }
  const d = f32(max / -8);
  const id = d ? f32(1 / d) : 0;
  out.setUint16(0, float32ToFloat16Bits(d), true);
  const nibble = (x: number) => Math.min(15, Math.trunc(f32(f32(x * id) + 8.5)));
  for (let j = 0; j < BLOCK / 2; j++) {
    out.setUint8(2 + j, nibble(block[j]!) | (nibble(block[j + BLOCK / 2]!) << 4));
  }
}
