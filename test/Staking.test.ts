import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stakingAbi } from "@teetee/contracts/abi";
import {
  getFreeStake,
  getRunnerLock,
  getStake,
  getStakingTreasury,
  getStakingTreasuryBalance,
  getTokenBalance,
  getTotalStaked,
  getUnbondingPeriod,
  grantRole,
  hasRole,
  lockStake,
  requestUnstake,
  revokeRole,
  slash,
  stake,
  teeTeeRoles,
  unlockStake,
  withdrawStake,
  withdrawStakingTreasury,
} from "@teetee/sdk/contracts";
import { getAddress, keccak256, toHex, zeroAddress, zeroHash } from "viem";
import {
  ADMIN_DELAY,
  expectAccountingInvariant,
  expectRevert,
  fixtures,
  MIN_STAKE,
  networkHelpers,
  send,
  UNBONDING_PERIOD,
  viem,
} from "./helpers/fixture.js";

const evidence = keccak256(toHex("evidence"));

describe("Staking", () => {
  it("test_stake_unbond_withdraw", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const [alice] = f.contributors;
    const c = { contracts: f.contracts };
    const staker = alice!.account.address;
    const before = await getTokenBalance(f.publicClient, { ...c, owner: staker });
    await send(f.publicClient, stake(alice!, { ...c, amount: 500n }));
    assert.equal(await getFreeStake(f.publicClient, { ...c, staker }), 500n);
    assert.equal(await getTotalStaked(f.publicClient, c), 500n);
    await send(f.publicClient, requestUnstake(alice!, { ...c, amount: 200n }));
    const info = await getStake(f.publicClient, { ...c, staker });
    assert.equal(info.staked, 300n);
    assert.equal(info.unbonding, 200n);
    await expectRevert(withdrawStake(alice!, c), "StakingStillUnbonding");
    await networkHelpers.time.increase(UNBONDING_PERIOD);
    await send(f.publicClient, withdrawStake(alice!, c));
    assert.equal(await getTokenBalance(f.publicClient, { ...c, owner: staker }), before - 300n);
    assert.equal(await getTotalStaked(f.publicClient, c), 300n);
    assert.equal(await getUnbondingPeriod(f.publicClient, c), UNBONDING_PERIOD);
  });

  it("test_slash_takesRunnerLockThenFreeThenUnbonding_andTreasuryWithdraws", async () => {
    const f = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: f.contracts };
    const alice = f.contributors[0]!;
    const staker = alice.account.address;
    const runner = f.runners[0]!.address;
    await send(f.publicClient, stake(alice, { ...c, amount: 300n }));
    await send(f.publicClient, requestUnstake(alice, { ...c, amount: 100n }));
    // staked = MIN_STAKE + 200 (MIN_STAKE locked behind the runner), unbonding 100
    await send(
      f.publicClient,
      slash(f.slasher, { ...c, staker, runner, amount: MIN_STAKE / 2n, evidenceHash: evidence }),
    );
    let info = await getStake(f.publicClient, { ...c, staker });
    assert.equal(info.staked, MIN_STAKE / 2n + 200n);
    assert.equal(info.locked, MIN_STAKE / 2n);
    assert.equal(await getRunnerLock(f.publicClient, { ...c, staker, runner }), MIN_STAKE / 2n);
    await send(
      f.publicClient,
      slash(f.slasher, { ...c, staker, runner, amount: MIN_STAKE / 2n + 250n, evidenceHash: evidence }),
    );
    info = await getStake(f.publicClient, { ...c, staker });
    assert.deepEqual([info.staked, info.locked, info.unbonding], [0n, 0n, 50n]);
    const treasury = await getStakingTreasury(f.publicClient, c);
    assert.equal(await getStakingTreasuryBalance(f.publicClient, c), MIN_STAKE + 250n);
    const before = await getTokenBalance(f.publicClient, { ...c, owner: treasury });
    await send(f.publicClient, withdrawStakingTreasury(f.stranger, c));
    assert.equal(await getTokenBalance(f.publicClient, { ...c, owner: treasury }), before + MIN_STAKE + 250n);
    await expectRevert(withdrawStakingTreasury(f.stranger, c), "StakingNothingToWithdraw");
    await expectAccountingInvariant(f);
  });

  it("test_lockAndUnlock_onlyLocker", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const c = { contracts: f.contracts };
    const staker = f.contributors[0]!.account.address;
    await expectRevert(
      lockStake(f.stranger, { ...c, staker, runner: zeroAddress, amount: 1n }),
      "AccessControlUnauthorizedAccount",
      [f.stranger.account.address, teeTeeRoles.LOCKER_ROLE],
    );
    await expectRevert(
      unlockStake(f.stranger, { ...c, staker, runner: zeroAddress }),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      slash(f.stranger, { ...c, staker, runner: zeroAddress, amount: 1n, evidenceHash: evidence }),
      "AccessControlUnauthorizedAccount",
    );
  });

  it("test_reverts", async () => {
    const f = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: f.contracts };
    const alice = f.contributors[0]!;
    const staker = alice.account.address;
    await expectRevert(stake(alice, { ...c, amount: 0n }), "StakingZeroAmount");
    await expectRevert(requestUnstake(alice, { ...c, amount: 0n }), "StakingZeroAmount");
    await expectRevert(requestUnstake(alice, { ...c, amount: 1n }), "StakingInsufficientFreeStake", [
      staker,
      1n,
      0n,
    ]);
    await expectRevert(withdrawStake(alice, c), "StakingNothingToWithdraw", [staker]);
    await expectRevert(
      slash(f.slasher, { ...c, staker, runner: zeroAddress, amount: 0n, evidenceHash: evidence }),
      "StakingZeroAmount",
    );
  });

  it("test_constructor_rejectsZeroTokenOrTreasury", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const admin = f.admin.account.address;
    const treasury = f.treasury.account.address;
    await expectRevert(
      viem.deployContract("Staking", [zeroAddress, admin, ADMIN_DELAY, treasury, UNBONDING_PERIOD]),
      "StakingZeroAddress",
    );
    await expectRevert(
      viem.deployContract("Staking", [f.contracts.token, admin, ADMIN_DELAY, zeroAddress, UNBONDING_PERIOD]),
      "StakingZeroAddress",
    );
    const ok = await viem.deployContract("Staking", [
      f.contracts.token,
      admin,
      ADMIN_DELAY,
      treasury,
      UNBONDING_PERIOD,
    ]);
    assert.equal(
      await f.publicClient.readContract({ address: ok.address, abi: stakingAbi, functionName: "token" }),
      getAddress(f.contracts.token),
    );
    assert.equal(
      await getStakingTreasury(f.publicClient, { contracts: { ...f.contracts, staking: ok.address } }),
      getAddress(treasury),
    );
  });

  it("test_roles_grantRevokeRenounce", async () => {
    const f = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: f.contracts };
    const read = { address: f.contracts.staking, abi: stakingAbi } as const;
    const member = f.stranger.account.address;
    const alice = f.contributors[0]!.account.address;
    assert.equal(
      await f.publicClient.readContract({
        ...read,
        functionName: "getRoleAdmin",
        args: [teeTeeRoles.LOCKER_ROLE],
      }),
      zeroHash,
    );
    assert.equal(
      await f.publicClient.readContract({ ...read, functionName: "supportsInterface", args: ["0x7965db0b"] }),
      true,
    ); // IAccessControl
    await send(
      f.publicClient,
      grantRole(f.admin, { address: f.contracts.staking, role: teeTeeRoles.LOCKER_ROLE, member }),
    );
    assert.equal(
      await hasRole(f.publicClient, { address: f.contracts.staking, role: teeTeeRoles.LOCKER_ROLE, member }),
      true,
    );
    await send(f.publicClient, unlockStake(f.stranger, { ...c, staker: alice, runner: zeroAddress }));
    await send(
      f.publicClient,
      revokeRole(f.admin, { address: f.contracts.staking, role: teeTeeRoles.LOCKER_ROLE, member }),
    );
    await expectRevert(
      unlockStake(f.stranger, { ...c, staker: alice, runner: zeroAddress }),
      "AccessControlUnauthorizedAccount",
    );
    await send(
      f.publicClient,
      f.slasher.writeContract({
        ...read,
        functionName: "renounceRole",
        args: [teeTeeRoles.SLASHER_ROLE, f.slasher.account.address],
      }),
    );
    await expectRevert(
      slash(f.slasher, { ...c, staker: alice, runner: zeroAddress, amount: 1n, evidenceHash: evidence }),
      "AccessControlUnauthorizedAccount",
    );
  });
});
