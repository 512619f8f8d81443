import { DEFAULT_SERVER_LIMITS, resolveServerLimits } from "./serverLimits.js";

describe("resolveServerLimits", () => {
  test("fills in every default", () => {
    expect(resolveServerLimits({ requestTimeoutMs: 60_000 })).toEqual({
      ...DEFAULT_SERVER_LIMITS,
      requestTimeoutMs: 60_000,
    });
  });

  test("refuses a head timeout longer than the request timeout, naming the rule", () => {
    expect(() => resolveServerLimits({ headersTimeoutMs: 2000, requestTimeoutMs: 1000 })).toThrow(
      /headersTimeoutMs must be at most requestTimeoutMs/,
    );
  });
});
