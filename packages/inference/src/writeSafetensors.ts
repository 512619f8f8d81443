import { writeFileSync } from "node:fs";
import { float32ToBfloat16Array, float32ToFloat16Array } from "./float16.js";
import type { SafetensorsDtype } from "./safetensorsHeader.js";

export type TensorToWrite = { name: string; shape: number[]; data: Float32Array };

/**
 * Writes fp32 values as a safetensors file in `dtype` (narrowing with round-to-nearest-even). The header is
 * space-padded to a multiple of 8 bytes, as the reference writer does, so the data region stays aligned.
 */
export function writeSafetensors(
  path: string,
  tensors: TensorToWrite[],
  dtype: SafetensorsDtype = "F32",
): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    const bytes = encode(tensor.data, dtype);
    header[tensor.name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    payloads.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const payload of payloads) {
    out.set(payload, position);
    position += payload.byteLength;
  }
  writeFileSync(path, out);
}

function encode(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  const narrowed =
    dtype === "F32" ? data : dtype === "F16" ? float32ToFloat16Array(data) : float32ToBfloat16Array(data);
  return new Uint8Array(narrowed.buffer, narrowed.byteOffset, narrowed.byteLength);
}
