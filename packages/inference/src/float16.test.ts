import fc from "fast-check";
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToBfloat16Bits,
  float32ToFloat16Array,
  float32ToFloat16Bits,
} from "./float16.js";

/** Node 24's own binary16 rounding, an independent oracle (absent on older runtimes). */
const f16round = (Math as unknown as { f16round?: (value: number) => number }).f16round;

const isNaNHalf = (bits: number) => ((bits >> 10) & 0x1f) === 0x1f && (bits & 0x3ff) !== 0;
const isSignalingNaNHalf = (bits: number) => isNaNHalf(bits) && (bits & 0x200) === 0;

describe("float32ToFloat16Bits", () => {
  test.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65520, 0x7c00], // halfway to the next binade rounds to even: infinity
    [65519.99, 0x7bff],
    [1e6, 0x7c00],
    [Number.POSITIVE_INFINITY, 0x7c00],
    [Number.NEGATIVE_INFINITY, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half of it: ties to even (zero)
    [2 ** -26, 0x0000],
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // 1.5 subnormal units: ties to even (2)
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: rounds up
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
  ])("%p encodes as half bits %i", (value, bits) => {
    expect(float32ToFloat16Bits(value)).toBe(bits);
  });

  test("NaN stays NaN", () => {
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN)))).toBe(true);
  });

  // The SDK's wire codec and the inference codec once disagreed here: one kept a NaN's payload, one dropped it.
  test.each([
    [0x7fc00000, 0x7e00], // the canonical quiet NaN
    [0xffc00000, 0xfe00], // with its sign
    [0x7fa00000, 0x7f00], // a quiet NaN keeps the top ten bits of its payload
    [0x7f802000, 0x7e01], // a signaling NaN comes back quiet, payload kept
    [0x7f800001, 0x7e00], // a payload below the half's precision still leaves a NaN, never infinity
  ])("float32 NaN bits %i encode as half bits %i (quiet, payload kept as hardware does)", (single, half) => {
    // Through the array path, which reads float32 bits, so no engine can canonicalize the NaN on the way in.
    expect(float32ToFloat16Array(new Float32Array(Uint32Array.of(single).buffer))[0]).toBe(half);
  });

  test("every fp16 value survives fp16 -> fp32 -> fp16 exactly", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16BitsToFloat32(bits);
      if (Number.isNaN(value)) {
        expect(isNaNHalf(bits)).toBe(true);
        continue;
      }
      expect(float32ToFloat16Bits(value)).toBe(bits);
    }
  });

  (f16round === undefined ? test.skip : test)(
    "agrees with Math.f16round on float32 inputs (property)",
    () => {
      if (f16round === undefined) throw new Error("Math.f16round is unavailable");
      fc.assert(
        fc.property(fc.float({ noNaN: true }), (value) => {
          expect(Object.is(float16BitsToFloat32(float32ToFloat16Bits(value)), f16round(value))).toBe(true);
        }),
        { numRuns: 20000 },
      );
    },
  );

  test("rounds to the nearest half, ties to even (property, integer model)", () => {
    // Between 1 and 2 halves are spaced 2^-10; float32 steps are 2^-23: model it in integers.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 23 - 1 }), (fraction) => {
        const value = 1 + fraction * 2 ** -23;
        const units = fraction / 2 ** 13;
        const floor = Math.floor(units);
        const remainder = units - floor;
        const expected = remainder > 0.5 || (remainder === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
        expect(float32ToFloat16Bits(value)).toBe(0x3c00 + expected);
      }),
    );
  });

  test("exact ties between two halves go to the even one (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1022 }),
        fc.integer({ min: -14, max: 15 }),
        fc.boolean(),
        (units, exponent, negative) => {
          // Halfway between half mantissas `units` and `units + 1` at this binade.
          const value = (negative ? -1 : 1) * (1 + (units + 0.5) / 1024) * 2 ** exponent;
          const even = units % 2 === 0 ? units : units + 1;
          const sign = negative ? 0x8000 : 0;
          expect(float32ToFloat16Bits(value)).toBe(sign | (((exponent + 15) << 10) + even));
        },
      ),
    );
  });
});

describe("float16BitsToFloat32", () => {
  test("known values", () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x8001)).toBe(-(2 ** -24));
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
  });

  test("matches the IEEE 754 formula for every finite half", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent === 0x1f) continue;
      const mantissa = bits & 0x3ff;
      const magnitude = exponent === 0 ? mantissa * 2 ** -24 : (1 + mantissa / 1024) * 2 ** (exponent - 15);
      expect(Object.is(float16BitsToFloat32(bits), bits & 0x8000 ? -magnitude : magnitude)).toBe(true);
    }
  });
});

describe("array conversion", () => {
  test("every fp16 bit pattern survives fp16 -> fp32 -> fp16 (a signaling NaN comes back quiet)", () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, bits) => bits);
    const back = float32ToFloat16Array(float16ToFloat32Array(all));
    for (let bits = 0; bits < 0x10000; bits++) {
      expect(back[bits]).toBe(isSignalingNaNHalf(bits) ? bits | 0x200 : bits);
    }
  });

  test("widening keeps a NaN's sign and payload in the float32 bits", () => {
    const widened = new Uint32Array(float16ToFloat32Array(Uint16Array.of(0x7e00, 0xfd01, 0x7fff)).buffer);
    expect(Array.from(widened)).toEqual([0x7fc00000, 0xffa02000, 0x7fffe000]);
  });

  test("round-trips fp16-representable tensors and matches the scalar functions", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 300 }), (values) => {
        const source = Float32Array.from(values);
        const half = float32ToFloat16Array(source);
        expect(Array.from(half)).toEqual(values.map((value) => float32ToFloat16Bits(value)));
        const back = float16ToFloat32Array(half);
        expect(Array.from(back)).toEqual(Array.from(half).map((bits) => float16BitsToFloat32(bits)));
        expect(Array.from(float32ToFloat16Array(back))).toEqual(Array.from(half));
      }),
    );
  });

  test("reads and writes views at an offset into a larger buffer", () => {
    const singles = new Float32Array(4);
    singles.set([1, -2], 2);
    expect(Array.from(float32ToFloat16Array(singles.subarray(2)))).toEqual([0x3c00, 0xc000]);
    const out = new Float32Array(4);
    float16ToFloat32Array(Uint16Array.of(0x3800, 0x7bff), out.subarray(1, 3));
    expect(Array.from(out)).toEqual([0, 0.5, 65504, 0]);
  });

  test("writes into a provided buffer", () => {
    const out = new Uint16Array(2);
    expect(float32ToFloat16Array(Float32Array.of(1, -2), out)).toBe(out);
    expect(Array.from(out)).toEqual([0x3c00, 0xc000]);
    const widened = new Float32Array(2);
    expect(float16ToFloat32Array(out, widened)).toBe(widened);
    expect(Array.from(widened)).toEqual([1, -2]);
  });
});

describe("bfloat16", () => {
  test("bf16 is the top half of fp32 with round-to-nearest-even", () => {
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(bfloat16BitsToFloat32(float32ToBfloat16Bits(-3.140625))).toBe(-3.140625);
  });
});
