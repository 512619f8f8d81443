import type { WeightSpec } from "./modelWeights.js";
import { FLOAT, type GraphBuilder, UINT8 } from "./onnxGraph.js";
import { bitsOf, checkBlockDivides, type QuantizedSpec, type QuantizedTensor } from "./quantize.js";

/** Which bytes of a weight an initializer holds: the fp32 tensor, or one part of its quantized form. */
export type WeightPart = "fp32" | "codes" | "scales" | "zeroPoints";

/**
 * Declares the initializer `name` holding `part` of `spec` and returns the name. Two initializers may hold the same
 * part (a tied embedding read by `GatherBlockQuantized` and by the LM head's `MatMulNBits` in different shapes).
 */
export type DeclareWeight = (
  spec: WeightSpec,
  part: WeightPart,
  name: string,
  dataType: number,
  dims: number[],
) => string;

/** The bytes of one part of a quantized tensor, as the initializers declared here expect them. */
export function quantizedPartBytes(q: QuantizedTensor, part: Exclude<WeightPart, "fp32">): Uint8Array {
  if (part === "codes") return q.data;
  if (part === "scales") return new Uint8Array(q.scales.buffer, q.scales.byteOffset, q.scales.byteLength);
  if (!q.zeroPoints) throw new Error("int8 tensors have no zero points");
  return q.zeroPoints;
}

/** The parts a quantized weight is stored in: int8 is symmetric, so only int4 has zero points. */
export function quantizedParts(spec: QuantizedSpec): Exclude<WeightPart, "fp32">[] {
  return spec.format === "int4" ? ["codes", "scales", "zeroPoints"] : ["codes", "scales"];
}

/**
 * `MatMulNBits`' `accuracy_level` 4: activations are quantized to int8 per block of K and the dot products run in
 * integers, as llama.cpp's Q8_0/Q4_0 CPU kernels do. Measured on the bench model, 1 thread: int8 decodes 2.1x and
 * int4 2.9x faster than fp32 with it, but int8 5.4x slower and int4 2.3x faster without it (level 0 dequantizes
 * int8 blocks to fp32 on every call). Level 0 computes exactly the fp32 model of the dequantized weights.
 */
export const ACCURACY_LEVEL_INT8 = 4;

/**
 * `x · Wᵀ (+ bias)` for the HF [out, in] weight `w` = [N, K] through `MatMulNBits`: codes [N, K/block, block·bits/8],
 * scales [N·K/block], int4 zero points [N·ceil((K/block)/2)]. `x` is [M, K]; the result [M, N].
 */
export function quantizedLinear(
  g: GraphBuilder,
  declare: DeclareWeight,
  x: string,
  w: WeightSpec,
  spec: QuantizedSpec,
  bias?: string,
  accuracyLevel: number = ACCURACY_LEVEL_INT8,
): string {
  const [n, k] = w.shape as [number, number];
  checkBlockDivides(w.name, k, spec.blockSize);
  const bits = bitsOf(spec.format);
  const blocks = k / spec.blockSize;
  const inputs = [
    x,
    declare(w, "codes", `${w.name}.q${bits}`, UINT8, [n, blocks, (spec.blockSize * bits) / 8]),
    declare(w, "scales", `${w.name}.scales`, FLOAT, [n * blocks]),
  ];
  if (spec.format === "int4")
    inputs.push(declare(w, "zeroPoints", `${w.name}.zero_points`, UINT8, [n * Math.ceil(blocks / 2)]));
  // Inputs 3 and 4 (zero points, g_idx) are optional; bias is input 5.
  if (bias) inputs.push(...Array(5 - inputs.length).fill(""), bias);
  return g.contribOp("MatMulNBits", inputs, {
    K: k,
    N: n,
    bits,
    block_size: spec.blockSize,
    accuracy_level: accuracyLevel,
  });
}

/**
 * Rows `ids` of the quantized [rows, cols] matrix `w` through `GatherBlockQuantized`, dequantized to fp32:
 * codes [rows, cols·bits/8], scales [rows, cols/block], int4 zero points [rows, ceil((cols/block)/2)].
 */
export function quantizedGather(
  g: GraphBuilder,
  declare: DeclareWeight,
  w: WeightSpec,
  spec: QuantizedSpec,
  ids: string,
): string {
  const [rows, cols] = w.shape as [number, number];
  checkBlockDivides(w.name, cols, spec.blockSize);
  const bits = bitsOf(spec.format);
  const blocks = cols / spec.blockSize;
  const inputs = [
    declare(w, "codes", `${w.name}.gather.q${bits}`, UINT8, [rows, (cols * bits) / 8]),
    ids,
    declare(w, "scales", `${w.name}.gather.scales`, FLOAT, [rows, blocks]),
  ];
  if (spec.format === "int4")
    inputs.push(
      declare(w, "zeroPoints", `${w.name}.gather.zero_points`, UINT8, [rows, Math.ceil(blocks / 2)]),
    );
  return g.contribOp("GatherBlockQuantized", inputs, {
    gather_axis: 0,
    quantize_axis: 1,
    block_size: spec.blockSize,
    bits,
  });
}
