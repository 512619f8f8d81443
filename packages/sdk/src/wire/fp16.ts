const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/**
 * IEEE 754 binary16 bits of a number, rounded to nearest, ties to even (as hardware does),
 * computed from the binary32 bits without tables. Values are first rounded to binary32: the
 * wire only ever converts fp32 activations, and this is the rounding a GPU or ONNX Cast gives.
 */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  return bitsToHalf(scratchBits[0] ?? 0);
}

function bitsToHalf(bits: number): number {
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

/** The number a binary16 bit pattern stands for (exact: every half is a float32). */
export function float16BitsToFloat32(half: number): number {
  const sign = half & 0x8000;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) {
    const magnitude = mantissa * 2 ** -24;
    return sign === 0 ? magnitude : -magnitude;
  }
  if (exponent === 0x1f) {
    scratchBits[0] = (sign << 16) | 0x7f800000 | (mantissa << 13);
  } else {
    scratchBits[0] = (sign << 16) | ((exponent + 112) << 23) | (mantissa << 13);
  }
  return scratchFloat[0] ?? 0;
}

/** Converts a whole fp32 tensor to fp16 bits; writes into `out` when given (no allocation). */
export function float32ToFloat16Array(
  source: Float32Array,
  out = new Uint16Array(source.length),
): Uint16Array {
  const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let index = 0; index < source.length; index++) out[index] = bitsToHalf(bits[index] ?? 0);
  return out;
}

/** Converts fp16 bits to an fp32 tensor; writes into `out` when given. */
export function float16ToFloat32Array(
  source: Uint16Array,
  out = new Float32Array(source.length),
): Float32Array {
  for (let index = 0; index < source.length; index++) out[index] = float16BitsToFloat32(source[index] ?? 0);
  return out;
}
