import { quantile, SseDataReader, summarizeSoak } from "./soakStats.js";

describe("SseDataReader", () => {
  test("yields the same events however the body is cut into chunks", () => {
    const events = ['{"a":1}', '{"b":"x\\n\\ny"}', "[DONE]"];
    const body = `${events.map((e) => `data: ${e}\n\n`).join("")}`;
    let seed = 5;
    for (let round = 0; round < 300; round++) {
      const reader = new SseDataReader();
      const got: string[] = [];
      for (let at = 0; at < body.length; ) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        const size = 1 + (seed % 9);
        got.push(...reader.push(body.slice(at, at + size)));
        at += size;
      }
      expect(got).toEqual(events);
    }
  });

  test("ignores comments and keeps an unfinished event for the next chunk", () => {
    const reader = new SseDataReader();
    expect(reader.push(": keep-alive\n\ndata: 1")).toEqual([]);
    expect(reader.push("\r\n\r\n")).toEqual(["1"]);
  });
});

describe("summarizeSoak", () => {
  test("counts served requests, refusals by status, broken streams and time to first token", () => {
    const summary = summarizeSoak(
      [
        { status: 200, ttftMs: 10, totalMs: 50, completionTokens: 8 },
        { status: 200, ttftMs: 30, totalMs: 60, completionTokens: 8 },
        { status: 200, ttftMs: 20, totalMs: 70, completionTokens: 4, brokenStream: true },
        { status: 429, totalMs: 1, completionTokens: 0, message: "wait" },
        { status: 429, totalMs: 1, completionTokens: 0, message: "later" },
        { status: 503, totalMs: 1, completionTokens: 0 },
      ],
      4,
    );
    expect(summary).toEqual({
      requests: 6,
      served: 2,
      refusedByStatus: { "200-broken": 1, "429": 2, "503": 1 },
      exampleByStatus: { "429": "wait" },
      completionTokens: 16,
      tokensPerSecond: 4,
      ttftMs: { p50: 10, p95: 30, max: 30 },
    });
  });

  test("quantile is the nearest rank, and undefined for nothing", () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.95)).toBe(95);
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});
