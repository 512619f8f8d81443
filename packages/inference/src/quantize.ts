import { WeightError, WeightFormatError } from "./errors.js";

/** How a shard stores its weight matrices. */
export type WeightFormat = "fp32" | "int8" | "int4";
export const WEIGHT_FORMATS = ["fp32", "int8", "int4"] as const satisfies readonly WeightFormat[];
export const DEFAULT_BLOCK_SIZE = 32;

/** A shard's weight format as the manifest records it; quantized formats carry their block size. */
export type WeightsSpec = { format: "fp32" } | { format: "int8" | "int4"; blockSize: number };
export type QuantizedSpec = Extract<WeightsSpec, { blockSize: number }>;

/**
 * A [rows, cols] matrix quantized block-wise along each row (blocks of `blockSize` consecutive columns), in the
 * byte layout `MatMulNBits` and `GatherBlockQuantized` read:
 * - `data`: codes, row-major, `cols · bits / 8` bytes per row; at 4 bits the even column is the low nibble.
 * - `scales`: one fp32 per block, [rows, blocks].
 * - `zeroPoints`: int4 only, one 4-bit code per block packed like `data`, `ceil(blocks / 2)` bytes per row.
 *   int8 is symmetric and has none: its codes are stored offset by 128, the operators' default zero point.
 * A weight is reconstructed as `(code - zeroPoint) · scale`, rounded once to fp32 (see `dequantize`).
 */
export type QuantizedTensor = {
  rows: number;
  cols: number;
  bits: 4 | 8;
  blockSize: number;
  data: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array | undefined;
};

/** Checks a format and block size given by a caller (CLI, `shardModel`) and returns the manifest's spec. */
export function weightsSpecOf(format: string, blockSize: number = DEFAULT_BLOCK_SIZE): WeightsSpec {
  if (!(WEIGHT_FORMATS as readonly string[]).includes(format)) {
    throw new WeightFormatError(`unknown weight format "${format}"`, {
      hint: `Use one of ${WEIGHT_FORMATS.join(", ")}.`,
    });
  }
  if (format === "fp32") return { format: "fp32" };
  // MatMulNBits needs a power of two of at least 16 (its kernels unroll over 16-column groups).
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new WeightFormatError(`block size ${blockSize} is not a power of two of at least 16`, {
      hint: "Use 16, 32 (the default), 64 or 128.",
    });
  }
  return { format: format as QuantizedSpec["format"], blockSize };
}

export function bitsOf(format: QuantizedSpec["format"]): 4 | 8 {
  return format === "int4" ? 4 : 8;
}

/** Throws `WeightFormatError` unless `blockSize` divides `cols`, the input dimension (K) of the matrix `name`. */
export function checkBlockDivides(name: string, cols: number, blockSize: number): void {
  if (cols % blockSize !== 0) {
    throw new WeightFormatError(
      `block size ${blockSize} does not divide the input dimension ${cols} of ${name}`,
      { hint: "Choose a block size that divides the hidden and intermediate sizes (e.g. 32)." },
    );
  }
}

/**
 * Quantizes one [rows, cols] fp32 matrix (fp16 and bf16 sources are widened exactly first). Per block:
 * - int8, symmetric: scale = max|w| / 127, code = round(w / scale) in [-127, 127]. At 8 bits the asymmetric
 *   range gains little, and dropping zero points keeps int8 at 1.125 bytes per weight.
 * - int4, asymmetric: the range [min(0, min w), max(0, max w)] maps onto codes 0..15, scale = range / 15 and the
 *   zero point the code of 0. With 16 levels, fitting the block's actual range rather than ±max|w| halves the
 *   step for skewed blocks; including 0 keeps zero exact and gives a constant block a nonzero scale.
 * Either way every weight is within scale / 2 of its reconstruction (up to fp32 rounding).
 */
export function quantize(
  values: Float32Array,
  rows: number,
  cols: number,
  { format, blockSize }: QuantizedSpec,
): QuantizedTensor {
  checkBlockDivides("the matrix", cols, blockSize);
  if (values.length !== rows * cols) {
    throw new WeightError(`a [${rows}, ${cols}] matrix needs ${rows * cols} values, got ${values.length}`);
  }
  const bits = bitsOf(format);
  const blocks = rows * (cols / blockSize);
  const codes = new Uint8Array(rows * cols);
  const scales = new Float32Array(blocks);
  const zeros = bits === 4 ? new Uint8Array(blocks) : undefined;
  for (let b = 0; b < blocks; b++) {
    const block = values.subarray(b * blockSize, (b + 1) * blockSize);
    const out = codes.subarray(b * blockSize, (b + 1) * blockSize);
    if (zeros) {
      const { scale, zeroPoint } = quantizeBlockAsymmetric(block, out);
      scales[b] = scale;
      zeros[b] = zeroPoint;
    } else {
      scales[b] = quantizeBlockSymmetric(block, out);
    }
  }
  const zeroPoints = zeros ? packRows(zeros, rows, blocks / rows, 4) : undefined;
  return { rows, cols, bits, blockSize, data: packRows(codes, rows, cols, bits), scales, zeroPoints };
}

function checkFinite(block: Float32Array): void {
  for (const w of block) {
    if (!Number.isFinite(w)) throw new WeightError(`cannot quantize the non-finite weight ${w}`);
  }
}

/** Writes int8 codes (offset by 128) into `out`; returns the block's scale. */
function quantizeBlockSymmetric(block: Float32Array, out: Uint8Array): number {
  checkFinite(block);
  let absMax = 0;
  for (const w of block) absMax = Math.max(absMax, Math.abs(w));
  const scale = Math.fround(absMax / 127);
  for (let i = 0; i < block.length; i++) {
    const code = scale === 0 ? 0 : clamp(Math.round(block[i]! / scale), -127, 127);
    out[i] = code + 128;
  }
  return scale;
}

/** Writes 4-bit codes into `out` (one per byte, packed later); returns the block's scale and zero point. */
function quantizeBlockAsymmetric(block: Float32Array, out: Uint8Array): { scale: number; zeroPoint: number } {
  checkFinite(block);
  let low = 0;
  let high = 0;
  for (const w of block) {
    low = Math.min(low, w);
    high = Math.max(high, w);
  }
  const scale = Math.fround((high - low) / 15);
  const zeroPoint = scale === 0 ? 0 : clamp(Math.round(-low / scale), 0, 15);
  for (let i = 0; i < block.length; i++) {
    out[i] = scale === 0 ? zeroPoint : clamp(Math.round(block[i]! / scale) + zeroPoint, 0, 15);
  }
  return { scale, zeroPoint };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Packs `rows` rows of `width` codes; at 4 bits two per byte (even index low nibble), each row padded to a byte. */
export function packRows(codes: Uint8Array, rows: number, width: number, bits: 4 | 8): Uint8Array {
  if (bits === 8) return codes;
  const rowBytes = Math.ceil(width / 2);
  const out = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < width; i++) out[r * rowBytes + (i >> 1)]! |= codes[r * width + i]! << ((i & 1) * 4);
  }
  return out;
}

/** The inverse of `packRows`. */
export function unpackRows(packed: Uint8Array, rows: number, width: number, bits: 4 | 8): Uint8Array {
  if (bits === 8) return packed.slice(0, rows * width);
  const rowBytes = Math.ceil(width / 2);
  const out = new Uint8Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < width; i++)
      out[r * width + i] = (packed[r * rowBytes + (i >> 1)]! >> ((i & 1) * 4)) & 15;
  }
  return out;
}

/** The fp32 weights a quantized tensor stands for: `fround((code - zeroPoint) · scale)`, as onnxruntime computes. */
export function dequantize(q: QuantizedTensor): Float32Array {
  const perRow = q.cols / q.blockSize;
  const codes = unpackRows(q.data, q.rows, q.cols, q.bits);
  const zeros = q.zeroPoints ? unpackRows(q.zeroPoints, q.rows, perRow, 4) : undefined;
  const out = new Float32Array(q.rows * q.cols);
  for (let i = 0; i < out.length; i++) {
    const block = Math.floor(i / q.blockSize);
    const zeroPoint = zeros ? zeros[block]! : 128;
    out[i] = (codes[i]! - zeroPoint) * q.scales[block]!;
  }
  return out;
}

/** Bytes a quantized [rows, cols] matrix takes on disk and in memory (codes, scales and zero points). */
export function quantizedBytes(rows: number, cols: number, { format, blockSize }: QuantizedSpec): number {
  const bits = bitsOf(format);
  const blocksPerRow = cols / blockSize;
  const zeroPointBytes = bits === 4 ? rows * Math.ceil(blocksPerRow / 2) : 0;
  return (rows * cols * bits) / 8 + rows * blocksPerRow * 4 + zeroPointBytes;
}
