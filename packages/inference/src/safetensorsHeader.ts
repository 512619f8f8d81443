import { SafetensorsFormatError } from "./errors.js";

/** The element types this package reads; other safetensors dtypes are refused. */
export type SafetensorsDtype = "F32" | "F16" | "BF16";

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** Where one tensor lives: `byteOffset` is absolute in the file (header included). */
export type TensorEntry = {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  byteOffset: number;
  byteLength: number;
};

export type SafetensorsHeader = {
  /** Bytes before the data region: the 8-byte length prefix plus the JSON header. */
  dataStart: number;
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
};

/** The Rust reference implementation refuses headers above 100 MB; so do we, before allocating. */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Reads the 8-byte little-endian length prefix of a safetensors file.
 * Throws if the length is impossible for a file of `fileSize` bytes.
 */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number, file = "safetensors file"): number {
  if (prefix.length < 8 || fileSize < 8) {
    throw new SafetensorsFormatError(`${file}: too short to hold a safetensors header (${fileSize} bytes)`, {
      hint: "The download may be truncated; fetch the file again.",
    });
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(Math.min(MAX_HEADER_BYTES, fileSize - 8))) {
    throw new SafetensorsFormatError(
      `${file}: header length ${length} exceeds the file or the 100 MB limit`,
      {
        hint: "This is not a safetensors file, or it is corrupt.",
      },
    );
  }
  return Number(length);
}

/**
 * Parses and validates a safetensors header: every tensor has a supported dtype, a shape of non-negative
 * integers, offsets inside the data region whose length equals shape × dtype size, and no two tensors overlap.
 */
export function parseSafetensorsHeader(headerJson: Uint8Array, fileSize: number, file = "safetensors file") {
  const dataStart = 8 + headerJson.length;
  const raw = decodeJson(headerJson, file);
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(value, file);
      continue;
    }
    tensors.set(name, parseEntry(name, value, dataStart, fileSize, file));
  }
  checkNoOverlap([...tensors.values()], file);
  return { dataStart, tensors, metadata } satisfies SafetensorsHeader;
}

function decodeJson(bytes: Uint8Array, file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new SafetensorsFormatError(`${file}: header is not valid UTF-8 JSON`, {
      cause,
      hint: "The file is corrupt or not a safetensors file.",
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsFormatError(`${file}: header must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SafetensorsFormatError(`${file}: __metadata__ must be an object of strings`);
  }
  for (const v of Object.values(value)) {
    if (typeof v !== "string")
      throw new SafetensorsFormatError(`${file}: __metadata__ must be an object of strings`);
  }
  return value as Record<string, string>;
}

function parseEntry(
  name: string,
  value: unknown,
  dataStart: number,
  fileSize: number,
  file: string,
): TensorEntry {
  const bad = (why: string) => new SafetensorsFormatError(`${file}: tensor "${name}" ${why}`);
  if (typeof value !== "object" || value === null) throw bad("has no descriptor object");
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (dtype !== "F32" && dtype !== "F16" && dtype !== "BF16") {
    throw new SafetensorsFormatError(`${file}: tensor "${name}" has dtype ${String(dtype)}`, {
      hint: "Only F32, F16 and BF16 weights are supported; quantized checkpoints are not.",
    });
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad("has a shape that is not a list of non-negative integers");
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    throw bad("has data_offsets that are not two non-negative integers");
  }
  const [begin, end] = offsets as [number, number];
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end < begin || end - begin !== elements * DTYPE_BYTES[dtype]) {
    throw bad(
      `has ${end - begin} data bytes but shape [${shape.join(", ")}] × ${dtype} needs ${elements * DTYPE_BYTES[dtype]}`,
    );
  }
  if (dataStart + end > fileSize) throw bad(`extends past the end of the file (${fileSize} bytes)`);
  return { name, dtype, shape: shape as number[], byteOffset: dataStart + begin, byteLength: end - begin };
}

function checkNoOverlap(entries: TensorEntry[], file: string): void {
  const sorted = [...entries].sort((a, b) => a.byteOffset - b.byteOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const next = sorted[i]!;
    if (prev.byteOffset + prev.byteLength > next.byteOffset) {
      throw new SafetensorsFormatError(`${file}: tensors "${prev.name}" and "${next.name}" overlap`);
    }
  }
}
