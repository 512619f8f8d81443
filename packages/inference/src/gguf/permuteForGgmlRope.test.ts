import fc from "fast-check";
import { permuteForGgmlRope } from "./permuteForGgmlRope.js";

type Rope = (head: Float64Array, position: number) => Float64Array;
const angle = (position: number, i: number, headDim: number) => position * 10000 ** ((-2 * i) / headDim);

/** Transformers' `rotate_half`: dimension i turns with dimension i + headDim/2. */
const hfRope: Rope = (v, position) => {
  const half = v.length / 2;
  const out = new Float64Array(v.length);
  for (let i = 0; i < half; i++) {
    const [c, s] = [Math.cos(angle(position, i, v.length)), Math.sin(angle(position, i, v.length))];
    out[i] = v[i]! * c - v[i + half]! * s;
    out[i + half] = v[i + half]! * c + v[i]! * s;
  }
  return out;
};

/** ggml's normal rope (`GGML_ROPE_TYPE_NORM`): dimension 2i turns with dimension 2i + 1. */
const ggmlRope: Rope = (v, position) => {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length / 2; i++) {
    const [c, s] = [Math.cos(angle(position, i, v.length)), Math.sin(angle(position, i, v.length))];
    out[2 * i] = v[2 * i]! * c - v[2 * i + 1]! * s;
    out[2 * i + 1] = v[2 * i + 1]! * c + v[2 * i]! * s;
  }
  return out;
};

const ropeHeads = (rope: Rope, rows: Float32Array, heads: number, position: number) => {
  const headDim = rows.length / heads;
  const out = new Float64Array(rows.length);
  for (let h = 0; h < heads; h++) {
    out.set(rope(Float64Array.from(rows.subarray(h * headDim, (h + 1) * headDim)), position), h * headDim);
  }
  return out;
};

const projections = fc
  .record({ heads: fc.integer({ min: 1, max: 4 }), half: fc.integer({ min: 1, max: 8 }) })
  .chain(({ heads, half }) =>
    fc.record({
      heads: fc.constant(heads),
      values: fc.array(fc.float({ min: -4, max: 4, noNaN: true }), {
        minLength: heads * half * 2,
        maxLength: heads * half * 2,
      }),
      position: fc.integer({ min: 0, max: 4096 }),
    }),
  );

test("ggml's rope on permuted rows equals the permutation of Transformers' rope on the original rows", () => {
  fc.assert(
    fc.property(projections, ({ heads, values, position }) => {
      const rows = Float32Array.from(values);
      const expected = permuteForGgmlRope(
        Float32Array.from(ropeHeads(hfRope, rows, heads, position)),
        rows.length,
        heads,
      );
      const actual = ropeHeads(ggmlRope, permuteForGgmlRope(rows, rows.length, heads), heads, position);
      for (let i = 0; i < rows.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
    }),
  );
});

test("each row moves whole, within its head: head-local row j·half + i goes to 2i + j", () => {
  const columns = 3;
  const rows = 8;
  const weight = Float32Array.from({ length: rows * columns }, (_, i) => Math.floor(i / columns));
  const out = permuteForGgmlRope(weight, rows, 2);
  const rowIds = Array.from({ length: rows }, (_, r) => out[r * columns]);
  expect(rowIds).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  for (let r = 0; r < rows; r++)
    expect([...out.subarray(r * columns, (r + 1) * columns)]).toEqual([rowIds[r], rowIds[r], rowIds[r]]);
});
