import { closeSync, openSync, writeSync } from "node:fs";
import { GGML_TYPES, type GgmlType, ggmlByteLength } from "./ggmlTypes.js";
import { GgufError } from "./ggufError.js";

/** A metadata value with its GGUF type (gguf-py's `GGUFValueType`); arrays hold one type. */
export type GgufValue =
  | { type: "uint32"; value: number }
  | { type: "float32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "int32[]"; value: number[] };

export type GgufTensor = {
  name: string;
  /** Row-major shape, outermost first (the safetensors order); GGUF stores it reversed (ggml's ne[0] is a row). */
  shape: number[];
  type: GgmlType;
  /** The tensor's bytes in `type`, asked for when its turn comes so that one tensor at a time is in memory. */
  data: () => Uint8Array;
};

const VALUE_TYPE = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 } as const;
/** gguf-py's `GGUF_DEFAULT_ALIGNMENT`; written as `general.alignment` too so no reader has to assume it. */
export const GGUF_ALIGNMENT = 32;

/**
 * Writes a GGUF v3 file: magic, version, counts, metadata, tensor infos, then each tensor's data at an offset
 * aligned to 32 bytes from the start of the data section, which itself starts aligned.
 */
export function writeGguf(path: string, metadata: Record<string, GgufValue>, tensors: GgufTensor[]): void {
  const header = new ByteWriter();
  header.bytes(new TextEncoder().encode("GGUF"));
  header.u32(3);
  header.u64(tensors.length);
  const entries = Object.entries({ ...metadata, "general.alignment": uint32(GGUF_ALIGNMENT) });
  header.u64(entries.length);
  for (const [key, value] of entries) writeKeyValue(header, key, value);
  let offset = 0;
  const offsets = tensors.map((tensor) => {
    const at = offset;
    offset = align(at + tensorByteLength(tensor));
    return at;
  });
  for (const [i, tensor] of tensors.entries()) writeTensorInfo(header, tensor, offsets[i]!);
  header.pad(align(header.length) - header.length);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, header.toBytes());
    for (const [i, tensor] of tensors.entries()) writeTensorData(fd, tensor, header.length + offsets[i]!);
  } finally {
    closeSync(fd);
  }
}

export const uint32 = (value: number): GgufValue => ({ type: "uint32", value });
export const float32 = (value: number): GgufValue => ({ type: "float32", value });
export const string = (value: string): GgufValue => ({ type: "string", value });

function writeKeyValue(out: ByteWriter, key: string, value: GgufValue): void {
  out.string(key);
  switch (value.type) {
    case "uint32":
      out.u32(VALUE_TYPE.uint32).u32(value.value);
      return;
    case "float32":
      out.u32(VALUE_TYPE.float32).f32(value.value);
      return;
    case "bool":
      out.u32(VALUE_TYPE.bool).u8(value.value ? 1 : 0);
      return;
    case "string":
      out.u32(VALUE_TYPE.string).string(value.value);
      return;
    case "string[]":
      out.u32(VALUE_TYPE.array).u32(VALUE_TYPE.string).u64(value.value.length);
      for (const s of value.value) out.string(s);
      return;
    case "int32[]":
      out.u32(VALUE_TYPE.array).u32(VALUE_TYPE.int32).u64(value.value.length);
      for (const n of value.value) out.i32(n);
      return;
  }
}

function writeTensorInfo(out: ByteWriter, tensor: GgufTensor, offset: number): void {
  out.string(tensor.name);
  out.u32(tensor.shape.length);
  for (const dim of [...tensor.shape].reverse()) out.u64(dim);
  out.u32(GGML_TYPES[tensor.type].id);
  out.u64(offset);
}

function writeTensorData(fd: number, tensor: GgufTensor, position: number): void {
  const bytes = tensor.data();
  if (bytes.byteLength !== tensorByteLength(tensor)) {
    throw new GgufError(
      `tensor ${tensor.name} has ${bytes.byteLength} bytes, expected ${tensorByteLength(tensor)} for ${tensor.type} [${tensor.shape.join(", ")}]`,
    );
  }
  writeSync(fd, bytes, 0, bytes.byteLength, position);
  const end = position + bytes.byteLength;
  if (align(end) > end) writeSync(fd, new Uint8Array(align(end) - end), 0, align(end) - end, end);
}

function tensorByteLength(tensor: GgufTensor): number {
  const { blockSize } = GGML_TYPES[tensor.type];
  const rowLength = tensor.shape.at(-1)!;
  if (rowLength % blockSize !== 0) {
    throw new GgufError(
      `tensor ${tensor.name}: row length ${rowLength} is not a multiple of ${tensor.type}'s block size ${blockSize}`,
      { hint: "Store this tensor as F32 or F16, or pick a model whose dimensions are multiples of 32." },
    );
  }
  return ggmlByteLength(
    tensor.type,
    tensor.shape.reduce((a, b) => a * b, 1),
  );
}

function align(n: number): number {
  return Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
}

/** Little-endian bytes appended in chunks; GGUF strings are a uint64 byte length then UTF-8 without a NUL. */
class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;

  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.byteLength;
    return this;
  }
  private scalar(size: number, set: (view: DataView) => void): this {
    const b = new Uint8Array(size);
    set(new DataView(b.buffer));
    return this.bytes(b);
  }
  u8(v: number) {
    return this.scalar(1, (d) => d.setUint8(0, v));
  }
  u32(v: number) {
    return this.scalar(4, (d) => d.setUint32(0, v, true));
  }
  i32(v: number) {
    return this.scalar(4, (d) => d.setInt32(0, v, true));
  }
  f32(v: number) {
    return this.scalar(4, (d) => d.setFloat32(0, v, true));
  }
  u64(v: number) {
    return this.scalar(8, (d) => d.setBigUint64(0, BigInt(v), true));
  }
  string(s: string) {
    const utf8 = new TextEncoder().encode(s);
    return this.u64(utf8.byteLength).bytes(utf8);
  }
  pad(n: number) {
    return this.bytes(new Uint8Array(n));
  }
  toBytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}
