import { countsOf, summaryLines } from "./testSummary.js";

const steps = [
  { name: "contracts build", script: "build:contracts", stopsRunOnFailure: true },
  { name: "contract tests", script: "test:contracts" },
  { name: "package tests", script: "test:packages" },
];

describe("countsOf", () => {
  test("reads jest's last Tests line, colours and all", () => {
    const output = [
      "Tests:       3 passed, 3 total",
      "\x1b[1mTests:       \x1b[22m\x1b[1m\x1b[31m1 failed\x1b[39m\x1b[22m, 2 skipped, \x1b[1m\x1b[32m506 passed\x1b[39m\x1b[22m, 509 total",
      "Snapshots:   0 total",
    ].join("\n");
    expect(countsOf(output)).toEqual({ passed: 506, failed: 1, skipped: 2 });
  });

  test("reads Hardhat's passing, failing and pending lines", () => {
    expect(countsOf("\n  145 passing (98 solidity, 47 nodejs)\n")).toEqual({
      passed: 145,
      failed: 0,
      skipped: 0,
    });
    expect(countsOf("  140 passing (98 solidity, 42 nodejs)\n  2 pending\n  5 failing\n\n  1) x")).toEqual({
      passed: 140,
      failed: 5,
      skipped: 2,
    });
  });

  test("finds no counts where no runner printed any", () => {
    expect(countsOf("Checked 3 files in 28ms. Fixed 2 files.")).toBeUndefined();
  });
});

describe("summaryLines", () => {
  test("one line per suite, the ones never reached, and a total that counts a crash as a failure", () => {
    const lines = summaryLines(
      [
        { step: steps[0]!, exitCode: 0, seconds: 24.2 },
        { step: steps[1]!, exitCode: 1, seconds: 11.6 },
      ],
      steps,
    );
    expect(lines).toEqual([
      "== pnpm test: summary ==",
      "contracts build  ok  24 s",
      "contract tests   FAILED (exit 1)  12 s",
      "package tests    not run",
      "total: 0 passed, 1 failed",
    ]);
  });

  test("sums the counted suites", () => {
    const lines = summaryLines(
      [
        { step: steps[1]!, exitCode: 0, seconds: 1, counts: { passed: 145, failed: 0, skipped: 0 } },
        { step: steps[2]!, exitCode: 1, seconds: 2, counts: { passed: 506, failed: 1, skipped: 3 } },
      ],
      steps.slice(1),
    );
    expect(lines.slice(1)).toEqual([
      "contract tests  145 passed, 0 failed  ok  1 s",
      "package tests   506 passed, 1 failed, 3 skipped  FAILED (exit 1)  2 s",
      "total: 651 passed, 1 failed",
    ]);
  });
});
