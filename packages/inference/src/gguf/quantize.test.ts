import fc from "fast-check";
import { float16BitsToFloat32 } from "../float16.js";
import { GgufError } from "./ggufError.js";
import { decodeGgml, encodeGgml } from "./quantize.js";

const block = (f: (j: number) => number) => Float32Array.from({ length: 32 }, (_, j) => f(j));
const blocks = fc
  .array(fc.float({ min: -8, max: 8, noNaN: true, noDefaultInfinity: true }), {
    minLength: 32,
    maxLength: 32 * 4,
  })
  .map((a) => Float32Array.from(a.slice(0, a.length - (a.length % 32))))
  .filter((a) => a.length > 0);
const scales = (bytes: Uint8Array, blockBytes: number) =>
  Array.from({ length: bytes.length / blockBytes }, (_, b) =>
    float16BitsToFloat32(bytes[b * blockBytes]! | (bytes[b * blockBytes + 1]! << 8)),
  );

test("Q8_0 block layout: fp16 scale amax/127, then 32 int8 rounded half away from zero", () => {
  const values = block((j) => (j === 0 ? 127 : j === 1 ? -2.5 : j === 2 ? 2.5 : j - 16.4));
  const bytes = encodeGgml(values, "Q8_0");
  expect(bytes.length).toBe(34);
  expect([bytes[0], bytes[1]]).toEqual([0x00, 0x3c]);
  const q = new Int8Array(bytes.buffer, 2, 32);
  expect([q[0], q[1], q[2], q[3], q[31]]).toEqual([127, -3, 3, -13, 15]);
});

test("Q4_0 block layout: scale max/-8, element j in byte j's low nibble, element j+16 in its high nibble", () => {
  const values = block((j) => (j < 16 ? j - 8 : 23 - j));
  const bytes = encodeGgml(values, "Q4_0");
  expect(bytes.length).toBe(18);
  expect(float16BitsToFloat32(bytes[0]! | (bytes[1]! << 8))).toBe(1);
  for (let j = 0; j < 16; j++) expect(bytes[2 + j]).toBe(j | ((15 - j) << 4));
});

test("Q8_0 reconstruction error stays within half a step plus the fp16 scale's rounding", () => {
  fc.assert(
    fc.property(blocks, (values) => {
      const bytes = encodeGgml(values, "Q8_0");
      const back = decodeGgml(bytes, "Q8_0", values.length);
      const d = scales(bytes, 34);
      for (let i = 0; i < values.length; i++) {
        const step = Math.abs(d[i >> 5]!);
        expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(step * (0.5 + 127 * 2 ** -10) + 2 ** -17);
      }
    }),
  );
});

test("Q4_0 maps each block's largest magnitude to -8 steps and the rest within one step", () => {
  fc.assert(
    fc.property(blocks, (values) => {
      const bytes = encodeGgml(values, "Q4_0");
      const back = decodeGgml(bytes, "Q4_0", values.length);
      const d = scales(bytes, 18);
      for (let b = 0; b < values.length / 32; b++) {
        const slice = values.subarray(b * 32, b * 32 + 32);
        const at = slice.findIndex((x) => Math.abs(x) === Math.max(...slice.map(Math.abs)));
        expect(back[b * 32 + at]).toBe(Math.fround(-8 * d[b]!));
        for (let j = 0; j < 32; j++) {
          const error = Math.abs(back[b * 32 + j]! - slice[j]!);
          expect(error).toBeLessThanOrEqual(Math.abs(d[b]!) * (1 + 8 * 2 ** -10) + 2 ** -17);
        }
      }
    }),
  );
});

test("an all-zero block quantizes to a zero scale and decodes to zeros", () => {
  for (const type of ["Q8_0", "Q4_0"] as const) {
    const back = decodeGgml(encodeGgml(new Float32Array(32), type), type, 32);
    expect(back.every((x) => x === 0)).toBe(true);
  }
});

test("F32 and F16 store the values themselves", () => {
  const values = Float32Array.from([1, -2.5, 65504, 1e-3]);
  expect([...decodeGgml(encodeGgml(values, "F32"), "F32", 4)]).toEqual([...values]);
  expect([...decodeGgml(encodeGgml(values, "F16"), "F16", 4)]).toEqual([
    1, -2.5, 65504, 0.0010004043579101562,
  ]);
});

test("values that are not whole blocks are refused", () => {
  expect(() => encodeGgml(new Float32Array(33), "Q8_0")).toThrow(GgufError);
  expect(() => encodeGgml(new Float32Array(33), "Q4_0")).toThrow(/not a whole number of Q4_0 blocks/);
});
