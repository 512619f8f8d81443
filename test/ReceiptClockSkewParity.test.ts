import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { receiptSlasherAbi, runnerRegistryAbi } from "@teetee/contracts/abi";
import { deactivateRunner } from "@teetee/sdk/contracts";
import { findPeriodWithin, getRunnerPeriods, RECEIPT_CLOCK_SKEW_SECONDS } from "@teetee/sdk/receipts";
import { fixtures, networkHelpers, registerTestRunner, send } from "./helpers/fixture.js";

describe("receipt clock skew: the SDK and the contracts judge a receipt's date alike", () => {
  it("test_findRegistrationPeriodWithin_agreesWithTheSdksFindPeriodWithin", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const runner = m.runners[0]!;
    const contributor = m.contributors[0]!;
    const skew = await m.publicClient.readContract({
      address: m.contracts.receiptSlasher!,
      abi: receiptSlasherAbi,
      functionName: "RECEIPT_CLOCK_SKEW_SECONDS",
    });
    assert.equal(skew, RECEIPT_CLOCK_SKEW_SECONDS);
    // Shard 0 for 100 s, shard 1 for 5 s right after, shard 0 again 20 s later, still open.
    await networkHelpers.time.increase(100);
    await send(m.publicClient, deactivateRunner(contributor, { ...c, runner: runner.address }));
    await registerTestRunner(m, contributor, m.model.modelId, 1, runner);
    await networkHelpers.time.increase(5);
    await send(m.publicClient, deactivateRunner(contributor, { ...c, runner: runner.address }));
    await networkHelpers.time.increase(20);
    await registerTestRunner(m, contributor, m.model.modelId, 0, runner);
    const periods = await getRunnerPeriods(m.publicClient, { ...c, runner: runner.address });
    assert.equal(periods.length, 3);

    const edges = periods.flatMap((p) => [p.from, ...(p.until === undefined ? [] : [p.until])]);
    const offsets = [-skew - 1n, -skew, -skew + 1n, -1n, 0n, 1n, skew - 1n, skew, skew + 1n];
    const cases = edges.flatMap((edge) => offsets.map((offset) => edge + offset));
    let found = 0;
    for (const shardIndex of [0, 1, 2]) {
      for (const at of cases) {
        const [onChain, index]: readonly [boolean, bigint] = await m.publicClient.readContract({
          address: m.contracts.runnerRegistry,
          abi: runnerRegistryAbi,
          functionName: "findRegistrationPeriodWithin",
          args: [runner.address, m.model.modelId, shardIndex, at, skew],
        });
        const sdk = findPeriodWithin(periods, { modelId: m.model.modelId, shardIndex, at });
        assert.deepEqual(
          sdk === undefined ? [false, 0n] : [true, BigInt(sdk)],
          [onChain, index],
          `shard ${shardIndex} at ${at}`,
        );
        if (onChain) found++;
      }
    }
    // Both answers and both refusals were exercised.
    assert.ok(found > 0 && found < 3 * cases.length);
  });
});
