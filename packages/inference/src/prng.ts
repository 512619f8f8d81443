const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/**
 * The uniform variate in [0, 1) at `counter` of the stream named by `seed`: the (counter + 1)-th output of
 * SplitMix64 seeded with `seed` (as a 64-bit two's-complement integer), top 53 bits. Counter-based, so a draw is
 * a pure function of its two arguments: whoever asks for (seed, counter), in whatever order, after whatever
 * else, gets the same number. Not for cryptography.
 */
export function uniformAt(seed: number, counter: number): number {
  let z = BigInt.asUintN(64, BigInt(seed) + BigInt(counter + 1) * GOLDEN_GAMMA);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return Number((z ^ (z >> 31n)) >> 11n) / 2 ** 53;
}

/** A seeded pseudo-random source: `next()` returns a float in [0, 1). */
export type Prng = { next(): number };

/**
 * xoshiro128** seeded through splitmix32: small, fast, with a 2^128 − 1 period, and specified well enough
 * that any runtime can reproduce a sequence from the same seed (test weights are drawn from it). Sequential, so
 * not for token sampling, whose draws must survive a replay: see {@link uniformAt}. Not for cryptography.
 */
export function createPrng(seed: number): Prng {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const state = Uint32Array.from([splitmix(), splitmix(), splitmix(), splitmix()]);
  return {
    next() {
      const [a, b, c, d] = state as unknown as [number, number, number, number];
      const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
      const t = (b << 9) >>> 0;
      state[2] = c ^ a;
      state[3] = d ^ b;
      state[1] = b ^ state[2]!;
      state[0] = a ^ state[3]!;
      state[2] = state[2]! ^ t;
      state[3] = rotl(state[3]!, 11);
      return result / 2 ** 32;
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Standard normal draws (Box–Muller), for generating test weights. */
export function normalSampler(prng: Prng): () => number {
  return () => {
    const u = 1 - prng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * prng.next());
  };
}
