import { goalsOf, rowOf, slope, summarizeConcurrent } from "./concurrencyStats.js";

describe("summarizeConcurrent", () => {
  test("counts decode tokens over the window from the first first token to the last token", () => {
    const run = summarizeConcurrent(
      [{ tokenTimesMs: [100, 110, 120, 130] }, { tokenTimesMs: [105, 125, 145] }, { tokenTimesMs: [] }],
      0.7,
      2,
    );
    // 3 + 2 decode gaps over 145 - 100 ms; the gaps are 10, 10, 10, 20, 20.
    expect(run.tokens).toBe(7);
    expect(run.aggregateTokensPerSecond).toBeCloseTo((5 * 1000) / 45);
    expect(run.itlP50Ms).toBe(10);
    expect(run.itlP95Ms).toBe(20);
    expect(run.cpuMsPerToken).toBeCloseTo(100);
    expect(run.streams).toBe(3);
  });

  test("counts the tokens a stream reports over its pieces of text, keeping the pieces' gaps", () => {
    const run = summarizeConcurrent([{ tokenTimesMs: [0, 10, 30], tokens: 5 }], 0.1, 1);
    expect(run.tokens).toBe(5);
    expect(run.aggregateTokensPerSecond).toBeCloseTo((4 * 1000) / 30);
    expect(run.itlP95Ms).toBe(20);
    expect(run.cpuMsPerToken).toBeCloseTo(20);
  });
});

describe("goalsOf", () => {
  const row = (setup: string, streams: number, tps: number, p50: number, p95: number, cpu: number) =>
    rowOf(setup, "int4", [
      {
        streams,
        tokens: 1,
        aggregateTokensPerSecond: tps,
        itlP50Ms: p50,
        itlP95Ms: p95,
        cpuMsPerToken: cpu,
        wallSeconds: 1,
      },
    ]);
  const rows = [
    row("unsharded", 1, 50, 20, 25, 10),
    row("unsharded", 16, 400, 40, 70, 5),
    row("2 runners", 1, 40, 25, 30, 12),
    row("2 runners", 16, 200, 80, 100, 6),
    row("llama.cpp", 16, 500, 30, 35, 4),
  ];

  test("reads each goal against the rows it compares with", () => {
    expect(goalsOf(rows[1]!, rows)).toEqual({ speedupAt16: 8, vsLlamaCpp: 0.8, p95At16OverSingleP50: 3.5 });
    expect(goalsOf(rows[3]!, rows)).toEqual({
      speedupAt16: 5,
      vsLlamaCpp: 0.4,
      p95At16OverSingleP50: 4,
      cpuVsUnsharded: 1.2,
    });
    expect(goalsOf(rows[2]!, rows)).toEqual({ cpuVsUnsharded: 1.2 });
  });

  test("leaves out what another weight format would be compared with", () => {
    const fp32 = { ...rows[3]!, dtype: "fp32" };
    expect(goalsOf(fp32, [...rows, fp32])).toEqual({});
  });
});

describe("slope", () => {
  test("is the least-squares slope, and undefined without two distinct points", () => {
    expect(slope([1, 2, 3, 4], [10, 12, 14, 16])).toBeCloseTo(2);
    expect(slope([0, 1, 2], [5, 4, 6])).toBeCloseTo(0.5);
    expect(slope([3], [1])).toBeUndefined();
    expect(slope([2, 2], [1, 5])).toBeUndefined();
  });
});
