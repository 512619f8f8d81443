import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { receiptSlasherAbi, stakingAbi } from "@teetee/contracts/abi";
import {
  deactivateRunner,
  decodeContractError,
  getEquivocationSlashAmount,
  getReceiptDigest,
  getRegistrationPeriods,
  getRunnerLock,
  getStakingTreasuryBalance,
  getTokenBalance,
  hasRole,
  isEquivocationEvidenceUsed,
  isRoutable,
  reportEquivocation,
  slash,
  teeTeeRoles,
} from "@teetee/sdk/contracts";
import {
  getRunnerPeriods,
  hashReceipt,
  type Receipt,
  type SignedReceipt,
  signReceipt,
} from "@teetee/sdk/receipts";
import fc from "fast-check";
import { getAddress, type Hex, keccak256, parseEventLogs, toHex } from "viem";
import {
  expectAccountingInvariant,
  expectRevert,
  fixtures,
  type Market,
  MIN_STAKE,
  networkHelpers,
  newRunnerKey,
  type RunnerKey,
  registerTestRunner,
  send,
} from "./helpers/fixture.js";

const REPORTER_SHARE_BPS = 1000n;

function receiptFor(m: Market, shardIndex: number, outputHash: Hex = keccak256(toHex("output"))): Receipt {
  return {
    modelId: m.model.modelId,
    shardIndex,
    sessionId: toHex("session 1".padEnd(16, "."), { size: 16 }),
    positionStart: 0,
    positionCount: 12,
    paramsHash: keccak256(toHex("params")),
    inputHash: keccak256(toHex("input")),
    outputHash,
    previousReceipt: `0x${"00".repeat(32)}`,
    issuedAt: 1_800_000_000n,
  };
}

async function signed(m: Market, runner: RunnerKey, receipt: Receipt): Promise<SignedReceipt> {
  return signReceipt(runner.account, {
    receipt,
    chainId: m.publicClient.chain!.id,
    runnerRegistry: m.contracts.runnerRegistry,
  });
}

/** Runner 0's honest receipt and its second, different output for the same work. */
async function equivocation(m: Market, runner: RunnerKey = m.runners[0]!) {
  const first = await signed(m, runner, receiptFor(m, 0));
  const second = await signed(m, runner, receiptFor(m, 0, keccak256(toHex("another output"))));
  return { first, second };
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));
const arbitraryReceipt: fc.Arbitrary<Receipt> = fc.record({
  modelId: bytes32,
  shardIndex: fc.integer({ min: 0, max: 0xffff }),
  sessionId: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => toHex(b)),
  positionStart: fc.integer({ min: 0, max: 0xffffffff }),
  positionCount: fc.integer({ min: 0, max: 0xffffffff }),
  paramsHash: bytes32,
  inputHash: bytes32,
  outputHash: bytes32,
  previousReceipt: bytes32,
  issuedAt: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
});

describe("ReceiptSlasher", () => {
  it("test_deployTeeTee_grantsTheReceiptSlasherSlasherRole", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    assert.ok(f.deployment.receiptSlasher);
    assert.equal(
      await hasRole(f.publicClient, {
        address: f.contracts.staking,
        role: teeTeeRoles.SLASHER_ROLE,
        member: f.deployment.receiptSlasher,
      }),
      true,
    );
  });

  it("test_receiptDigest_equalsTheSdksHashReceipt", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const domain = { chainId: m.publicClient.chain!.id, runnerRegistry: m.contracts.runnerRegistry };
    await fc.assert(
      fc.asyncProperty(arbitraryReceipt, async (receipt) => {
        const onChain = await getReceiptDigest(m.publicClient, { contracts: m.contracts, receipt });
        assert.equal(onChain, hashReceipt({ receipt, ...domain }));
      }),
      { numRuns: 50 },
    );
  });

  it("test_reportEquivocation_slashesTheRunnerAndPaysTheReporter", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const runner = m.runners[0]!.address;
    const contributor = m.contributors[0]!.account.address;
    const reporter = m.stranger.account.address;
    const { first, second } = await equivocation(m);
    assert.equal(await getEquivocationSlashAmount(m.publicClient, { ...c, runner }), MIN_STAKE);
    const before = await getTokenBalance(m.publicClient, { ...c, owner: reporter });

    const receipt = await send(m.publicClient, reportEquivocation(m.stranger, { ...c, first, second }));

    const reward = (MIN_STAKE * REPORTER_SHARE_BPS) / 10_000n;
    const digests = [first, second].map(({ receipt: r }) =>
      hashReceipt({
        receipt: r,
        chainId: m.publicClient.chain!.id,
        runnerRegistry: m.contracts.runnerRegistry,
      }),
    ) as [Hex, Hex];
    const [event] = parseEventLogs({
      abi: receiptSlasherAbi,
      logs: receipt.logs,
      eventName: "EquivocationSlashed",
    });
    assert.deepEqual(event?.args, {
      runner: getAddress(runner),
      contributor: getAddress(contributor),
      reporter: getAddress(reporter),
      slashed: MIN_STAKE,
      reward,
      toTreasury: MIN_STAKE - reward,
      firstDigest: digests[0],
      secondDigest: digests[1],
    });
    const [slashed] = parseEventLogs({ abi: stakingAbi, logs: receipt.logs, eventName: "Slashed" });
    const sorted = digests[0] < digests[1] ? digests : ([digests[1], digests[0]] as const);
    assert.equal(slashed?.args.evidenceHash, keccak256(`0x${sorted[0].slice(2)}${sorted[1].slice(2)}`));
    assert.equal(slashed?.args.slasher, getAddress(m.contracts.receiptSlasher!));

    assert.equal(await getTokenBalance(m.publicClient, { ...c, owner: reporter }), before + reward);
    assert.equal(await getStakingTreasuryBalance(m.publicClient, c), MIN_STAKE - reward);
    assert.equal(await getRunnerLock(m.publicClient, { ...c, staker: contributor, runner }), 0n);
    assert.equal(await isRoutable(m.publicClient, { ...c, runner }), false);
    assert.equal(await isRoutable(m.publicClient, { ...c, runner: m.runners[1]!.address }), true);
    assert.equal(
      await isEquivocationEvidenceUsed(m.publicClient, { ...c, digests: [digests[1], digests[0]] }),
      true,
    );
    await expectAccountingInvariant(m);
  });

  it("test_reportEquivocation_refusesReplayWithASentence", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const pair = await equivocation(m);
    await send(m.publicClient, reportEquivocation(m.stranger, { ...c, ...pair }));
    let failure: unknown;
    await reportEquivocation(m.buyer, { ...c, first: pair.second, second: pair.first }).catch((e) => {
      failure = e;
    });
    const decoded = decodeContractError(failure);
    assert.equal(decoded.name, "ReceiptSlasherEvidenceUsed");
    assert.match(decoded.message, /was already used to slash/);
  });

  it("test_reportEquivocation_refusesWhatIsNotAnEquivocation", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const [runner0, runner1] = m.runners as [RunnerKey, RunnerKey];
    const outsider = newRunnerKey(m);
    const honest = await signed(m, runner0, receiptFor(m, 0));
    const other = receiptFor(m, 0, keccak256(toHex("another output")));
    const cases: [string, SignedReceipt, SignedReceipt][] = [
      ["ReceiptSlasherSameOutput", honest, await signed(m, runner0, { ...receiptFor(m, 0), issuedAt: 1n })],
      [
        "ReceiptSlasherInputMismatch",
        honest,
        await signed(m, runner0, { ...other, inputHash: keccak256(toHex("x")) }),
      ],
      [
        "ReceiptSlasherParamsMismatch",
        honest,
        await signed(m, runner0, { ...other, paramsHash: keccak256(toHex("x")) }),
      ],
      ["ReceiptSlasherPositionsMismatch", honest, await signed(m, runner0, { ...other, positionCount: 11 })],
      [
        "ReceiptSlasherSessionMismatch",
        honest,
        await signed(m, runner0, { ...other, sessionId: `0x${"ab".repeat(16)}` }),
      ],
      ["ReceiptSlasherShardMismatch", honest, await signed(m, runner0, { ...other, shardIndex: 1 })],
      [
        "ReceiptSlasherModelMismatch",
        honest,
        await signed(m, runner0, { ...other, modelId: keccak256(toHex("x")) }),
      ],
      ["ReceiptSlasherSignerMismatch", honest, await signed(m, runner1, other)],
      [
        "ReceiptSlasherNotARunner",
        await signed(m, outsider, receiptFor(m, 0)),
        await signed(m, outsider, other),
      ],
      [
        "ReceiptSlasherRunnerNotOnShard",
        await signed(m, runner1, receiptFor(m, 0)),
        await signed(m, runner1, other),
      ],
      [
        "ReceiptSlasherInvalidSignature",
        { ...honest, signature: `0x${"11".repeat(65)}` },
        await signed(m, runner0, other),
      ],
    ];
    for (const [error, first, second] of cases) {
      await expectRevert(reportEquivocation(m.stranger, { ...c, first, second }), error);
    }
    assert.equal(
      await getRunnerLock(m.publicClient, {
        ...c,
        staker: m.contributors[0]!.account.address,
        runner: runner0.address,
      }),
      MIN_STAKE,
    );
  });

  it("test_reportEquivocation_slashesReceiptsSignedBeforeAShardMove", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const runner = m.runners[0]!;
    const contributor = m.contributors[0]!;
    const signedAt = await networkHelpers.time.latest();
    const at = (r: Receipt) => ({ ...r, issuedAt: BigInt(signedAt) });
    const first = await signed(m, runner, at(receiptFor(m, 0)));
    const second = await signed(m, runner, at(receiptFor(m, 0, keccak256(toHex("another output")))));
    await networkHelpers.time.increase(60);
    await send(m.publicClient, deactivateRunner(contributor, { ...c, runner: runner.address }));
    await registerTestRunner(m, contributor, m.model.modelId, 1, runner);

    // The SDK's event replay and the registry's own record name the same two registrations.
    const stored = await getRegistrationPeriods(m.publicClient, { ...c, runner: runner.address });
    const replayed = await getRunnerPeriods(m.publicClient, { ...c, runner: runner.address });
    assert.deepEqual(
      replayed,
      stored.map((p) => ({
        modelId: p.modelId,
        shardIndex: p.shardIndex,
        from: p.registeredAt,
        until: p.endedAt === 0n ? undefined : p.endedAt,
      })),
    );
    assert.deepEqual(
      stored.map((p) => p.shardIndex),
      [0, 1],
    );

    // Signed on shard 0 the clock tolerance after leaving it: no registration there vouched for it.
    const skew = await m.publicClient.readContract({
      address: m.contracts.receiptSlasher!,
      abi: receiptSlasherAbi,
      functionName: "RECEIPT_CLOCK_SKEW_SECONDS",
    });
    const late = (r: Receipt) => ({ ...r, issuedAt: stored[0]!.endedAt + skew });
    let failure: unknown;
    await reportEquivocation(m.stranger, {
      ...c,
      first: await signed(m, runner, late(receiptFor(m, 0))),
      second: await signed(m, runner, late(receiptFor(m, 0, keccak256(toHex("late output"))))),
    }).catch((e) => {
      failure = e;
    });
    assert.equal(decodeContractError(failure).name, "ReceiptSlasherSignedOutsideRegistration");

    const tx = await send(m.publicClient, reportEquivocation(m.stranger, { ...c, first, second }));
    const [event] = parseEventLogs({
      abi: receiptSlasherAbi,
      logs: tx.logs,
      eventName: "EquivocationSlashed",
    });
    assert.equal(event?.args.slashed, MIN_STAKE);
    assert.equal(
      await getRunnerLock(m.publicClient, {
        ...c,
        staker: contributor.account.address,
        runner: runner.address,
      }),
      0n,
    );
    await expectAccountingInvariant(m);
  });

  it("test_slash_divergenceCarriesTheEvidenceBundleHash", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const bundleHash = keccak256(toHex("evidence bundle: re-executed shard 0, positions 0..12"));
    const receipt = await send(
      m.publicClient,
      slash(m.slasher, {
        contracts: m.contracts,
        staker: m.contributors[0]!.account.address,
        runner: m.runners[0]!.address,
        amount: MIN_STAKE,
        evidenceHash: bundleHash,
      }),
    );
    const [event] = parseEventLogs({ abi: stakingAbi, logs: receipt.logs, eventName: "Slashed" });
    assert.equal(event?.args.evidenceHash, bundleHash);
    assert.equal(event?.args.slasher, getAddress(m.slasher.account.address));
  });
});
