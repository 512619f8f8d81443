import fc from "fast-check";
import { agreement, klDivergence, randomContexts, softmaxRows } from "./benchQuality.js";

const distribution = fc
  .array(fc.double({ min: 1e-6, max: 1, noNaN: true }), { minLength: 2, maxLength: 16 })
  .map((w) => Float64Array.from(w, (x) => x / w.reduce((a, b) => a + b, 0)));

test("KL divergence: a known value, zero against itself, never negative", () => {
  const kl = klDivergence(Float64Array.from([0.5, 0.5]), Float64Array.from([0.25, 0.75]));
  expect(kl).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 12);
  fc.assert(
    fc.property(distribution, distribution, (p, q) => {
      expect(klDivergence(p, p)).toBeCloseTo(0, 12);
      if (p.length === q.length) expect(klDivergence(p, q)).toBeGreaterThanOrEqual(-1e-12);
    }),
  );
});

test("agreement counts positions whose most likely token is the same", () => {
  const a = [Float64Array.from([0.7, 0.3]), Float64Array.from([0.2, 0.8])];
  const b = [Float64Array.from([0.6, 0.4]), Float64Array.from([0.9, 0.1])];
  expect(agreement(a, b)).toMatchObject({ top1Agreement: 0.5, positions: 2 });
  expect(agreement(a, a)).toMatchObject({ meanKl: 0, maxKl: 0, top1Agreement: 1 });
});

test("softmax rows sum to one and keep the logits' order", () => {
  const [row] = softmaxRows(Float32Array.from([1, 3, 2]), 3);
  expect(row!.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  expect(row![1]).toBeGreaterThan(row![2]!);
  expect(row![2]).toBeGreaterThan(row![0]!);
});

test("random contexts are in the vocabulary and the same for the same seed", () => {
  const contexts = randomContexts(5, 3, 40, 100);
  expect(contexts.flat().every((t) => Number.isInteger(t) && t >= 0 && t < 100)).toBe(true);
  expect(randomContexts(5, 3, 40, 100)).toEqual(contexts);
});
