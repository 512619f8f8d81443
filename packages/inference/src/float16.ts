/**
 * Half-precision codecs, one definition for every side that speaks them. Activations travel between runners as
 * IEEE 754 binary16 (the wire's `fp16` dtype: the sending runner narrows with `float32ToFloat16Array`, the
 * receiving one widens with `float16ToFloat32Array`); safetensors and GGUF weights arrive as fp16 or bf16 and the
 * graphs compute in fp32. The fp16 conversions work on binary32 bits, so every half survives fp16 → fp32 → fp16
 * bit for bit, NaN payloads included, except that a signaling NaN comes back quiet (as on hardware).
 * Browser-safe: no Node imports.
 */

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/**
 * Binary16 bits of binary32 bits, rounded to nearest, ties to even, as F16C hardware and ONNX Cast do: a NaN
 * stays NaN, quiet, keeping the top of its payload.
 */
function halfOfSingleBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
  const halfExponent = exponent - 112;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    // Subnormal: shift the full significand so one unit is 2^-24, then round on the dropped bits.
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const half = 1 << (shift - 1);
    const dropped = significand & ((1 << shift) - 1);
    let result = significand >>> shift;
    if (dropped > half || (dropped === half && (result & 1) === 1)) result += 1;
    return sign | result;
  }
  let result = (halfExponent << 10) | (mantissa >>> 13);
  const dropped = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches infinity at the top).
  if (dropped > 0x1000 || (dropped === 0x1000 && (result & 1) === 1)) result += 1;
  return sign | result;
}

/** Binary32 bits of binary16 bits, exact (every half is a float32; subnormal halves are normal floats). */
function singleBitsOfHalf(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  scratchFloat[0] = mantissa * 2 ** -24;
  return (sign | (scratchBits[0] ?? 0)) >>> 0;
}

const singleBitsTable = Uint32Array.from({ length: 0x10000 }, (_, half) => singleBitsOfHalf(half));

/**
 * IEEE 754 binary16 bits of a number, rounded to nearest, ties to even. The value is first rounded to binary32:
 * the wire only ever converts fp32 activations, and this is the rounding a GPU or ONNX Cast gives.
 */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  return halfOfSingleBits(scratchBits[0] ?? 0);
}

/** The number a binary16 bit pattern stands for (exact: every half is a float32). */
export function float16BitsToFloat32(half: number): number {
  scratchBits[0] = singleBitsTable[half & 0xffff] ?? 0;
  return scratchFloat[0] ?? 0;
}

/** Narrows a whole fp32 tensor to fp16 bits (for the wire, or to write fp16 weights); writes into `out` when given. */
export function float32ToFloat16Array(
  source: Float32Array,
  out = new Uint16Array(source.length),
): Uint16Array {
  const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let index = 0; index < source.length; index++) out[index] = halfOfSingleBits(bits[index] ?? 0);
  return out;
}

/** Widens fp16 bits to an fp32 tensor, bit-exact; writes into `out` when given. */
export function float16ToFloat32Array(
  source: Uint16Array,
  out = new Float32Array(source.length),
): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let index = 0; index < source.length; index++) bits[index] = singleBitsTable[source[index] ?? 0] ?? 0;
  return out;
}

/** bfloat16 bits are the top half of fp32 bits, so widening is a shift. */
export function bfloat16BitsToFloat32(bits: number): number {
  scratchBits[0] = bits << 16;
  return scratchFloat[0] ?? 0;
}

/** A float to bfloat16 bits with round-to-nearest-even (torch's `.to(torch.bfloat16)`). */
export function float32ToBfloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const x = scratchBits[0] ?? 0;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Widens bf16 values to fp32. */
export function bfloat16ToFloat32Array(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = (halves[i] ?? 0) << 16;
  return out;
}

/** Narrows fp32 values to bf16 (to write bf16 safetensors). */
export function float32ToBfloat16Array(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToBfloat16Bits(values[i] ?? 0);
  return out;
}
