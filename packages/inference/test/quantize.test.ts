import "./typedArrayRealms.js";
import fc from "fast-check";
import * as ort from "onnxruntime-node";
import { WeightError, WeightFormatError } from "../src/errors.js";
import type { WeightSpec } from "../src/modelWeights.js";
import { FLOAT, GraphBuilder, INT64, onnx } from "../src/onnxGraph.js";
import { createPrng, normalSampler } from "../src/prng.js";
import {
  dequantize,
  packRows,
  type QuantizedSpec,
  type QuantizedTensor,
  quantize,
  quantizedBytes,
  unpackRows,
  weightsSpecOf,
} from "../src/quantize.js";
import {
  type DeclareWeight,
  quantizedGather,
  quantizedLinear,
  quantizedPartBytes,
} from "../src/quantizedOps.js";

const SPECS: QuantizedSpec[] = [
  { format: "int8", blockSize: 16 },
  { format: "int8", blockSize: 32 },
  { format: "int4", blockSize: 16 },
  { format: "int4", blockSize: 32 },
  { format: "int4", blockSize: 64 },
];

/** fp32 rounding of `code · scale` and of `w / scale` adds at most a few ulps of |w| beyond scale / 2. */
function reconstructionBound(q: QuantizedTensor, i: number, w: number): number {
  return 0.5 * q.scales[Math.floor(i / q.blockSize)]! * (1 + 2 ** -20) + 4 * 2 ** -24 * Math.abs(w);
}

function expectWithinHalfStep(values: Float32Array, q: QuantizedTensor): void {
  const back = dequantize(q);
  for (let i = 0; i < values.length; i++) {
    const error = Math.abs(back[i]! - values[i]!);
    if (!(error <= reconstructionBound(q, i, values[i]!))) {
      throw new Error(`weight ${i}: ${values[i]} came back as ${back[i]} (error ${error})`);
    }
  }
}

const matrixArbitrary = (blockSize: number) =>
  fc
    .record({ rows: fc.integer({ min: 1, max: 5 }), blocks: fc.integer({ min: 1, max: 4 }) })
    .chain(({ rows, blocks }) =>
      fc
        .float32Array({
          minLength: rows * blocks * blockSize,
          maxLength: rows * blocks * blockSize,
          noDefaultInfinity: true,
          noNaN: true,
          min: -1e6,
          max: 1e6,
        })
        .map((values) => ({ rows, cols: blocks * blockSize, values })),
    );

describe.each(SPECS)("$format, block size $blockSize", (spec) => {
  test("every weight comes back within half a quantization step (random matrices, odd values)", () => {
    fc.assert(
      fc.property(matrixArbitrary(spec.blockSize), ({ rows, cols, values }) => {
        expectWithinHalfStep(values, quantize(values, rows, cols, spec));
      }),
      { numRuns: 200 },
    );
  });

  test("zeros stay exactly zero and a constant block keeps a nonzero scale", () => {
    const cols = 2 * spec.blockSize;
    const values = new Float32Array(2 * cols);
    values.fill(0.3, cols, cols + spec.blockSize);
    values.fill(-7.25, cols + spec.blockSize);
    const q = quantize(values, 2, cols, spec);
    const back = dequantize(q);
    expect(back.subarray(0, cols)).toEqual(new Float32Array(cols));
    expect([...q.scales.subarray(0, 2)]).toEqual([0, 0]);
    expect(q.scales[2]).toBeGreaterThan(0);
    expect(q.scales[3]).toBeGreaterThan(0);
    expectWithinHalfStep(values, q);
  });

  test("the bytes per weight are the codes plus one fp32 scale (and for int4 a 4-bit zero point) per block", () => {
    const q = quantize(new Float32Array(3 * 4 * spec.blockSize).fill(1), 3, 4 * spec.blockSize, spec);
    const stored = q.data.byteLength + q.scales.byteLength + (q.zeroPoints?.byteLength ?? 0);
    expect(stored).toBe(quantizedBytes(3, 4 * spec.blockSize, spec));
  });
});

test("4-bit packing round-trips any codes for any row width, odd ones included, even index in the low nibble", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 9 }),
      fc.infiniteStream(fc.integer({ min: 0, max: 15 })),
      (rows, width, stream) => {
        const codes = Uint8Array.from(stream.take(rows * width));
        const packed = packRows(codes, rows, width, 4);
        expect(packed.byteLength).toBe(rows * Math.ceil(width / 2));
        expect(packed[0]! & 15).toBe(codes[0]);
        expect(unpackRows(packed, rows, width, 4)).toEqual(codes);
      },
    ),
  );
});

test("weights at block size 32 take 0.641 (int4) and 1.125 (int8) bytes each, scales included", () => {
  expect(quantizedBytes(512, 1536, { format: "int4", blockSize: 32 }) / (512 * 1536)).toBeCloseTo(
    0.640625,
    6,
  );
  expect(quantizedBytes(512, 1536, { format: "int8", blockSize: 32 }) / (512 * 1536)).toBe(1.125);
});

describe("bad formats", () => {
  test("an unknown format", () => {
    expect(() => weightsSpecOf("int3")).toThrow(WeightFormatError);
    expect(() => weightsSpecOf("int3")).toThrow(/unknown weight format "int3"/);
  });
  test("a block size that is not a power of two of at least 16", () => {
    for (const size of [0, 8, 24, 33.5]) expect(() => weightsSpecOf("int4", size)).toThrow(/block size/);
  });
  test("a block size that does not divide the input dimension", () => {
    expect(() => quantize(new Float32Array(48), 1, 48, { format: "int4", blockSize: 32 })).toThrow(
      /block size 32 does not divide the input dimension 48/,
    );
  });
  test("a non-finite weight", () => {
    const values = new Float32Array(32);
    values[5] = Number.NaN;
    expect(() => quantize(values, 1, 32, { format: "int8", blockSize: 32 })).toThrow(WeightError);
  });
});

/** A graph holding `q` inline, built with the same emitters the sharder uses. */
function inlineDeclare(g: GraphBuilder, q: QuantizedTensor): DeclareWeight {
  return (_spec, part, name, dataType, dims) =>
    g.rawTensor(name, dataType, dims, part === "fp32" ? new Uint8Array() : quantizedPartBytes(q, part));
}

async function runGraph(g: GraphBuilder, feeds: Record<string, ort.Tensor>) {
  const bytes = onnx.ModelProto.encode(g.build("q", "test")).finish();
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function randomMatrix(seed: number, length: number, scale: number): Float32Array {
  const normal = normalSampler(createPrng(seed));
  return Float32Array.from({ length }, () => scale * normal());
}

describe.each(SPECS)("onnxruntime reads $format (block $blockSize) as dequantize() does", (spec) => {
  const [n, k, m] = [24, 4 * spec.blockSize, 5];
  const w: WeightSpec = { name: "w", shape: [n, k] };
  const weights = randomMatrix(3, n * k, 0.2);
  const q = quantize(weights, n, k, spec);
  const dequantized = dequantize(q);

  /**
   * MatMulNBits and a plain MatMul over the dequantized weights compute the same sums in different orders, so
   * they differ only by fp32 accumulation rounding: |Δ| <= K · 2⁻²³ · Σ|x·w| per output (the textbook dot-product
   * bound). Measured here: 0, bit-identical (onnxruntime dequantizes the blocks to fp32 and runs the same sgemm), but
   * another CPU's kernels may sum in another order. A wrong nibble order, scale index or zero point is O(Σ|x·w|).
   */
  test("MatMulNBits at accuracy level 0 (with bias) equals MatMul + bias on the dequantized weights within fp32 accumulation rounding", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", FLOAT, [m, k]);
    const bias = g.floatTensor("bias", randomMatrix(4, n, 1), [n]);
    const quantized = quantizedLinear(g, inlineDeclare(g, q), x, w, spec, bias, 0);
    g.op("Identity", [quantized], {}, "y");
    g.output("y", FLOAT, [m, n]);
    g.floatTensor("w_dq", dequantized, [n, k]);
    g.op("Gemm", [x, "w_dq", bias], { transB: 1 }, "y_ref");
    g.output("y_ref", FLOAT, [m, n]);
    const input = randomMatrix(5, m * k, 1);
    const out = await runGraph(g, { x: new ort.Tensor("float32", input, [m, k]) });
    const y = out.y!.data as Float32Array;
    const reference = out.y_ref!.data as Float32Array;
    for (let row = 0; row < m; row++) {
      for (let col = 0; col < n; col++) {
        let magnitude = 0;
        for (let i = 0; i < k; i++) magnitude += Math.abs(input[row * k + i]! * dequantized[col * k + i]!);
        const diff = Math.abs(y[row * n + col]! - reference[row * n + col]!);
        expect(diff).toBeLessThanOrEqual(k * 2 ** -23 * magnitude);
      }
    }
  });

  /**
   * At accuracy level 4 (what shards use) onnxruntime quantizes each block of K activations to int8 with scale
   * max|x_block| / 127, so each activation moves by at most half that step: |Δy| <= Σ_blocks (max|x_block| / 254) ·
   * Σ_block |w| (plus fp32 rounding, the bound above). A wrong layout or scale is O(Σ|x·w|), far outside.
   */
  test("MatMulNBits at accuracy level 4 stays within the int8 activation rounding bound of the dequantized MatMul", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", FLOAT, [m, k]);
    g.op("Identity", [quantizedLinear(g, inlineDeclare(g, q), x, w, spec, undefined, 4)], {}, "y");
    g.output("y", FLOAT, [m, n]);
    g.floatTensor("w_dq", dequantized, [n, k]);
    g.op("Gemm", [x, "w_dq"], { transB: 1 }, "y_ref");
    g.output("y_ref", FLOAT, [m, n]);
    const input = randomMatrix(6, m * k, 1);
    const out = await runGraph(g, { x: new ort.Tensor("float32", input, [m, k]) });
    const y = out.y!.data as Float32Array;
    const reference = out.y_ref!.data as Float32Array;
    let worst = 0;
    for (let row = 0; row < m; row++) {
      for (let col = 0; col < n; col++) {
        let bound = 0;
        for (let start = 0; start < k; start += spec.blockSize) {
          let xMax = 0;
          let wSum = 0;
          let magnitude = 0;
          for (let i = start; i < start + spec.blockSize; i++) {
            xMax = Math.max(xMax, Math.abs(input[row * k + i]!));
            wSum += Math.abs(dequantized[col * k + i]!);
            magnitude += Math.abs(input[row * k + i]! * dequantized[col * k + i]!);
          }
          bound += (xMax / 254) * wSum * (1 + 2 ** -10) + k * 2 ** -23 * magnitude;
        }
        const diff = Math.abs(y[row * n + col]! - reference[row * n + col]!);
        expect(diff).toBeLessThanOrEqual(bound);
        worst = Math.max(worst, diff / bound);
      }
    }
    expect(worst).toBeGreaterThan(0);
  });

  test("GatherBlockQuantized returns exactly the dequantized rows", async () => {
    const g = new GraphBuilder();
    const ids = g.input("ids", INT64, [3]);
    g.op("Identity", [quantizedGather(g, inlineDeclare(g, q), w, spec, ids)], {}, "rows");
    g.output("rows", FLOAT, [3, k]);
    const out = await runGraph(g, { ids: new ort.Tensor("int64", BigInt64Array.of(7n, 0n, 23n), [3]) });
    const expected = [7, 0, 23].flatMap((r) => [...dequantized.subarray(r * k, (r + 1) * k)]);
    expect([...(out.rows!.data as Float32Array)]).toEqual(expected);
  });
});
