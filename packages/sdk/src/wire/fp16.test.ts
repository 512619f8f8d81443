import fc from "fast-check";
import {
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToFloat16Array,
  float32ToFloat16Bits,
} from "./fp16.js";

/** Node 24's own binary16 rounding, an independent oracle (absent on older runtimes). */
const f16round = (Math as unknown as { f16round?: (value: number) => number }).f16round;

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

  test("every fp16 value survives fp16 -> fp32 -> fp16 exactly", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16BitsToFloat32(bits);
      if (Number.isNaN(value)) {
        expect(((bits >> 10) & 0x1f) === 0x1f && (bits & 0x3ff) !== 0).toBe(true);
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

describe("array conversion", () => {
  test("round-trips fp16-representable tensors and matches the scalar functions", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 300 }), (values) => {
        const source = Float32Array.from(values);
        const half = float32ToFloat16Array(source);
        expect(Array.from(half)).toEqual(values.map((value) => float32ToFloat16Bits(value)));
        const back = float16ToFloat32Array(half);
        expect(Array.from(float32ToFloat16Array(back))).toEqual(Array.from(half));
      }),
    );
  });

  test("writes into a provided buffer", () => {
    const out = new Uint16Array(2);
    expect(float32ToFloat16Array(Float32Array.of(1, -2), out)).toBe(out);
    expect(Array.from(out)).toEqual([0x3c00, 0xc000]);
  });
});
