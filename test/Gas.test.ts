import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { measureRedeem, REDEEM_4_STEADY_TARGET } from "../scripts/gasReport.js";

describe("gas", () => {
  it("test_redeem_4runnerSteady_withinTarget", async () => {
    const report: Record<string, number> = {};
    await measureRedeem(report, 4);
    const steady = report["redeem.4runners.steady"];
    assert.ok(
      steady !== undefined && BigInt(steady) <= REDEEM_4_STEADY_TARGET,
      `redeem 4-runner steady used ${steady} gas`,
    );
  });
});
