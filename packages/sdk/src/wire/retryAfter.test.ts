import { retryAfterOf, withRetryAfter } from "./retryAfter.js";

describe("retry-after in an error frame's message", () => {
  test("round-trips any whole number of seconds after any message", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 500; i++) {
      const message = String.fromCharCode(...Array.from({ length: next() % 40 }, () => 32 + (next() % 95)));
      const seconds = next() % 1_000_000;
      expect(retryAfterOf(withRetryAfter(message, seconds))).toBe(seconds);
    }
  });

  test("a message without the hint has none, and an undefined hint leaves the message as it is", () => {
    expect(retryAfterOf("too_many_open_requests: Too many open")).toBeUndefined();
    expect(retryAfterOf("(retry after 5 s) in the middle, not at the end")).toBeUndefined();
    expect(withRetryAfter("full", undefined)).toBe("full");
  });

  test("refuses what is not whole seconds", () => {
    expect(() => withRetryAfter("x", 1.5)).toThrow(RangeError);
    expect(() => withRetryAfter("x", -1)).toThrow(RangeError);
  });
});
