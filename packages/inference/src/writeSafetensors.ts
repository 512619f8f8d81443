import { closeSync, openSync, writeSync } from "node:fs";
import { float32ToBfloat16Array, float32ToFloat16Array } from "./float16.js";
import type { SafetensorsDtype } from "./safetensorsHeader.js";

export type TensorToWrite = { name: string; shape: number[]; data: Float32Array };

/**
 * A tensor whose values are produced on demand: `fill(start, out)` writes elements `[start, start + out.length)`.
 * Chunks are requested in order, so a sequential random source draws the same values as one whole-tensor fill.
 */
export type TensorSource = {
  name: string;
  shape: number[];
  fill: (start: number, out: Float32Array) => void;
};

/** Elements produced and written per step: 4 MiB of fp32, whatever the tensor's size. */
const CHUNK_ELEMENTS = 1 << 20;

/**
 * Writes fp32 values as a safetensors file in `dtype` (narrowing with round-to-nearest-even). The header is
 * space-padded to a multiple of 8 bytes, as the reference writer does, so the data region stays aligned.
 */
export function writeSafetensors(
  path: string,
  tensors: TensorToWrite[],
  dtype: SafetensorsDtype = "F32",
): void {
  const sources = tensors.map(({ name, shape, data }) => ({
    name,
    shape,
    fill: (start: number, out: Float32Array) => out.set(data.subarray(start, start + out.length)),
  }));
  writeSafetensorsStreaming(path, sources, dtype);
}

/**
 * Writes a safetensors file chunk by chunk: the header first (sizes follow from the shapes), then each tensor in
 * slices of `CHUNK_ELEMENTS`, so memory stays constant however large the checkpoint (a 1.1B model is 2.2 GB in bf16).
 */
export function writeSafetensorsStreaming(
  path: string,
  tensors: TensorSource[],
  dtype: SafetensorsDtype,
): void {
  const fd = openSync(path, "w");
  try {
    let position = writeAll(fd, headerBytes(tensors, dtype), 0);
    for (const tensor of tensors) {
      const size = elementCount(tensor.shape);
      for (let start = 0; start < size; start += CHUNK_ELEMENTS) {
        const chunk = new Float32Array(Math.min(CHUNK_ELEMENTS, size - start));
        tensor.fill(start, chunk);
        position = writeAll(fd, encode(chunk, dtype), position);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes per stored element. */
export function dtypeBytes(dtype: SafetensorsDtype): number {
  return dtype === "F32" ? 4 : 2;
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function headerBytes(tensors: TensorSource[], dtype: SafetensorsDtype): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const { name, shape } of tensors) {
    const bytes = elementCount(shape) * dtypeBytes(dtype);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  out.set(text, 8);
  return out;
}

function encode(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  const narrowed =
    dtype === "F32" ? data : dtype === "F16" ? float32ToFloat16Array(data) : float32ToBfloat16Array(data);
  return new Uint8Array(narrowed.buffer, narrowed.byteOffset, narrowed.byteLength);
}

function writeAll(fd: number, bytes: Uint8Array, position: number): number {
  let done = 0;
  while (done < bytes.byteLength)
    done += writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
  return position + bytes.byteLength;
}
