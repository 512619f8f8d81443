import fc from "fast-check";
import { uniformAt } from "./prng.js";

/** 53-bit uniform from a 64-bit SplitMix64 output, as `uniformAt` takes it. */
const toUniform = (output: bigint) => Number(output >> 11n) / 2 ** 53;

describe("uniformAt", () => {
  test("is SplitMix64's published sequence: counter n is its (n + 1)-th output", () => {
    // Reference outputs (splitmix64.c; Rosetta Code "Pseudo-random numbers/Splitmix64") for seeds 1234567 and 0.
    const seeded = [6457827717110365317n, 3203168211198807973n, 9817491932198370423n, 4593380528125082431n];
    expect(seeded.map((_, counter) => uniformAt(1234567, counter))).toEqual(seeded.map(toUniform));
    expect(uniformAt(0, 0)).toBe(toUniform(0xe220a8397b1dcdafn));
  });

  test("is a pure function of (seed, counter), in [0, 1)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(), (seed, counter) => {
        const u = uniformAt(seed, counter);
        expect(u).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThan(1);
        expect(uniformAt(seed, counter)).toBe(u);
      }),
    );
  });
});
