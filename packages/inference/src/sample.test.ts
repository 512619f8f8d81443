import fc from "fast-check";
import { SamplingError } from "./errors.js";
import { argmax, Sampler } from "./sample.js";

const logitsArb = fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 64 });
const paramsArb = fc.record({
  temperature: fc.double({ min: 0.05, max: 3, noNaN: true }),
  topK: fc.integer({ min: 0, max: 70 }),
  topP: fc.double({ min: 0.01, max: 1, noNaN: true }),
  seed: fc.integer(),
});
const positionArb = fc.nat({ max: 1 << 20 });

/** Token ids ranked by logit, ties to the lower id, as the sampler defines. */
const ranked = (logits: number[]) => logits.map((_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);

describe("Sampler", () => {
  test("temperature 0 is greedy: the first index of the maximum", () => {
    fc.assert(
      fc.property(logitsArb, positionArb, (logits, position) => {
        const token = new Sampler({ temperature: 0 }).sample(logits, position);
        expect(token).toBe(logits.indexOf(Math.max(...logits)));
        expect(argmax(logits)).toBe(token);
      }),
    );
  });

  test("a sampled token is within the top k", () => {
    fc.assert(
      fc.property(logitsArb, paramsArb, positionArb, (logits, params, position) => {
        const token = new Sampler({ ...params, topP: 1 }).sample(logits, position);
        const allowed = params.topK === 0 ? logits.length : params.topK;
        expect(ranked(logits).indexOf(token)).toBeLessThan(allowed);
      }),
    );
  });

  test("a sampled token is within the nucleus: the mass ranked strictly above it is below top p", () => {
    fc.assert(
      fc.property(logitsArb, paramsArb, positionArb, (logits, params, position) => {
        const token = new Sampler({ ...params, topK: 0 }).sample(logits, position);
        const order = ranked(logits);
        const max = Math.max(...logits);
        const weights = order.map((id) => Math.exp((logits[id]! - max) / params.temperature));
        const total = weights.reduce((a, b) => a + b, 0);
        const above = weights.slice(0, order.indexOf(token)).reduce((a, b) => a + b, 0) / total;
        expect(above).toBeLessThan(params.topP + 1e-12);
      }),
    );
  });

  test("the same seed gives the same 64 tokens; another seed gives others", () => {
    const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const draw = (seed: number) => {
      const sampler = new Sampler({ temperature: 1, seed });
      return Array.from({ length: 64 }, (_, i) => sampler.sample(logits, 10 + i));
    };
    expect(draw(42)).toEqual(draw(42));
    for (const other of [0, 43, -42, 2 ** 32 + 42]) expect(draw(other)).not.toEqual(draw(42));
  });

  test("a draw depends only on (seed, position): not on what was sampled before, nor by which sampler", () => {
    const callArb = fc.tuple(logitsArb, positionArb);
    fc.assert(
      fc.property(
        paramsArb,
        fc.array(callArb, { maxLength: 20 }),
        callArb,
        (params, history, [logits, position]) => {
          const used = new Sampler(params);
          for (const [before, at] of history) used.sample(before, at);
          expect(used.sample(logits, position)).toBe(new Sampler(params).sample(logits, position));
        },
      ),
    );
  });

  test("frequencies follow the softmax at temperature 1, over positions", () => {
    const logits = [2, 1, 0, -1];
    const sampler = new Sampler({ temperature: 1, seed: 7 });
    const counts = [0, 0, 0, 0];
    const draws = 20000;
    for (let i = 0; i < draws; i++) counts[sampler.sample(logits, i)]! += 1;
    const z = logits.reduce((s, l) => s + Math.exp(l), 0);
    logits.forEach((l, i) => {
      expect(Math.abs(counts[i]! / draws - Math.exp(l) / z)).toBeLessThan(0.015);
    });
  });

  test.each([
    { temperature: -1 },
    { temperature: Number.NaN },
    { topK: 1.5 },
    { topK: -1 },
    { topP: 0 },
    { topP: 1.1 },
    { seed: 0.5 },
  ])("invalid parameters %j are a SamplingError", (params) => {
    expect(() => new Sampler(params)).toThrow(SamplingError);
  });

  test.each([-1, 1.5, Number.NaN, 2 ** 53])("position %p is a SamplingError, greedy or not", (position) => {
    expect(() => new Sampler().sample([0, 1], position)).toThrow(SamplingError);
    expect(() => new Sampler({ temperature: 1 }).sample([0, 1], position)).toThrow(SamplingError);
  });
});
