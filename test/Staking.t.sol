// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IStaking} from "../contracts/interfaces/IStaking.sol";
import {Staking} from "../contracts/Staking.sol";
import {TestBase} from "./solidity/TestBase.sol";

contract StakingTest is TestBase {
    address internal constant ALICE = address(0xA11CE);
    address internal constant LOCKER = address(0x10C6);
    address internal constant RUNNER_A = address(0xA);
    address internal constant RUNNER_B = address(0xB);
    address internal constant REPORTER = address(0x5EED);

    function setUp() public {
        _deploy();
        staking.grantRole(staking.LOCKER_ROLE(), LOCKER);
    }

    function _checkBooks() internal view {
        _assertEq(token.balanceOf(address(staking)), staking.totalStaked() + staking.treasuryBalance(), "books");
    }

    function test_stake_creditsStaker() public {
        _stake(ALICE, 100);
        _assertEq(staking.getStake(ALICE).staked, 100, "staked");
        _assertEq(staking.freeStake(ALICE), 100, "free");
        _checkBooks();
    }

    function test_stake_revertsOnZero() public {
        vm.expectRevert(IStaking.StakingZeroAmount.selector);
        staking.stake(0);
    }

    function test_withdrawStake_revertsBeforeUnbondingEnds() public {
        _stake(ALICE, 100);
        vm.prank(ALICE);
        staking.requestUnstake(40);
        uint64 end = staking.getStake(ALICE).unbondingEnd;
        vm.warp(end - 1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingStillUnbonding.selector, ALICE, end));
        staking.withdrawStake();
        vm.warp(end);
        vm.prank(ALICE);
        staking.withdrawStake();
        _assertEq(token.balanceOf(ALICE), 40, "withdrawn");
        _checkBooks();
    }

    function test_requestUnstake_restartsPeriod() public {
        _stake(ALICE, 100);
        vm.prank(ALICE);
        staking.requestUnstake(10);
        vm.warp(block.timestamp + UNBONDING - 1);
        vm.prank(ALICE);
        staking.requestUnstake(10);
        _assertEq(staking.getStake(ALICE).unbondingEnd, block.timestamp + UNBONDING, "restarted");
        _assertEq(staking.getStake(ALICE).unbonding, 20, "unbonding");
    }

    function test_requestUnstake_revertsOnLockedStake() public {
        _stake(ALICE, 100);
        vm.prank(LOCKER);
        staking.lockStake(ALICE, RUNNER_A, 70);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInsufficientFreeStake.selector, ALICE, 31, 30));
        staking.requestUnstake(31);
    }

    function test_lockStake_onlyLocker() public {
        _stake(ALICE, 100);
        bytes32 role = staking.LOCKER_ROLE();
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, ALICE, role));
        staking.lockStake(ALICE, RUNNER_A, 10);
    }

    function test_slash_onlySlasher() public {
        _stake(ALICE, 100);
        bytes32 role = staking.SLASHER_ROLE();
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, ALICE, role));
        staking.slash(ALICE, address(0), 10, bytes32(0));
    }

    function test_slash_takesRunnerLockThenFreeThenUnbonding() public {
        _stake(ALICE, 100);
        vm.prank(ALICE);
        staking.requestUnstake(30);
        vm.startPrank(LOCKER);
        staking.lockStake(ALICE, RUNNER_A, 30);
        staking.lockStake(ALICE, RUNNER_B, 20);
        vm.stopPrank();
        _assertEq(staking.slash(ALICE, RUNNER_A, 40, keccak256("evidence")), 40, "slashed");
        IStaking.StakeInfo memory info = staking.getStake(ALICE);
        _assertEq(staking.runnerLock(ALICE, RUNNER_A), 0, "runner a's lock first");
        _assertEq(staking.runnerLock(ALICE, RUNNER_B), 20, "runner b's lock untouched");
        _assertEq(info.staked, 30, "then free");
        _assertEq(info.locked, 20, "locked");
        _assertEq(staking.slash(ALICE, RUNNER_A, 25, keccak256("evidence")), 25, "slashed");
        info = staking.getStake(ALICE);
        _assertEq(info.staked, 20, "only b's lock left staked");
        _assertEq(info.unbonding, 15, "then unbonding");
        _assertEq(staking.treasuryBalance(), 65, "treasury");
        _checkBooks();
    }

    function test_slash_takesWhatIsThereWhenShort() public {
        _stake(ALICE, 100);
        vm.prank(ALICE);
        staking.requestUnstake(40);
        vm.warp(block.timestamp + UNBONDING);
        _assertEq(staking.slash(ALICE, address(0), 1000, bytes32(0)), 100, "slashed");
        IStaking.StakeInfo memory info = staking.getStake(ALICE);
        _assertEq(info.staked + info.unbonding, 0, "nothing left");
        _assertEq(staking.slash(ALICE, address(0), 1, bytes32(0)), 0, "nothing more");
        _checkBooks();
    }

    function test_unlockStake_releasesOnlyTheRunnersLock() public {
        _stake(ALICE, 100);
        vm.startPrank(LOCKER);
        staking.lockStake(ALICE, RUNNER_A, 60);
        staking.lockStake(ALICE, RUNNER_B, 40);
        vm.stopPrank();
        staking.slash(ALICE, RUNNER_A, 50, bytes32(0));
        vm.prank(LOCKER);
        uint256 released = staking.unlockStake(ALICE, RUNNER_A);
        _assertEq(released, 10, "released");
        _assertEq(staking.getStake(ALICE).locked, 40, "b's lock stays");
        _assertEq(staking.freeStake(ALICE), 10, "free");
        _checkBooks();
    }

    function test_constructor_revertsOnUnbondingPeriodTooLong() public {
        uint64 max = staking.MAX_UNBONDING_PERIOD();
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingUnbondingPeriodTooLong.selector, max + 1, max));
        new Staking(token, address(this), ADMIN_DELAY, TREASURY, max + 1);
    }

    function test_withdrawTreasury_sendsSlashedFunds() public {
        _stake(ALICE, 100);
        staking.slash(ALICE, address(0), 25, bytes32(0));
        staking.withdrawTreasury();
        _assertEq(token.balanceOf(TREASURY), 25, "treasury");
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingNothingToWithdraw.selector, TREASURY));
        staking.withdrawTreasury();
        _checkBooks();
    }

    function test_slashWithReward_paysRecipientAndTreasuryTheRest() public {
        _stake(ALICE, 100);
        vm.prank(LOCKER);
        staking.lockStake(ALICE, RUNNER_A, 60);
        bytes32 evidence = keccak256("evidence");
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(ALICE, RUNNER_A, 70, 70, evidence, address(this));
        vm.expectEmit(address(staking));
        emit IStaking.SlashRewardPaid(ALICE, REPORTER, 7, evidence);
        (uint256 slashed, uint256 reward) = staking.slashWithReward(ALICE, RUNNER_A, 70, evidence, REPORTER, 1_000);
        _assertEq(slashed, 70, "slashed: the lock, then free stake");
        _assertEq(reward, 7, "reward");
        _assertEq(token.balanceOf(REPORTER), 7, "reporter paid at once");
        _assertEq(staking.treasuryBalance(), 63, "treasury gets the rest");
        _assertEq(staking.runnerLock(ALICE, RUNNER_A), 0, "lock taken first");
        _checkBooks();
    }

    function test_slashWithReward_roundsTheRewardDown() public {
        _stake(ALICE, 9);
        (, uint256 reward) = staking.slashWithReward(ALICE, address(0), 9, bytes32(0), REPORTER, 1_000);
        _assertEq(reward, 0, "0.9 rounds to 0");
        _assertEq(staking.treasuryBalance(), 9, "treasury");
        _checkBooks();
    }

    function test_slashWithReward_onlySlasher() public {
        _stake(ALICE, 100);
        bytes32 role = staking.SLASHER_ROLE();
        vm.prank(REPORTER);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, REPORTER, role)
        );
        staking.slashWithReward(ALICE, RUNNER_A, 10, bytes32(0), REPORTER, 1_000);
    }

    function test_slashWithReward_revertsOnRewardAboveWhole() public {
        _stake(ALICE, 100);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingRewardTooHigh.selector, 10_001));
        staking.slashWithReward(ALICE, RUNNER_A, 10, bytes32(0), REPORTER, 10_001);
    }

    function test_slashWithReward_revertsOnZeroRecipient() public {
        _stake(ALICE, 100);
        vm.expectRevert(IStaking.StakingZeroAddress.selector);
        staking.slashWithReward(ALICE, RUNNER_A, 10, bytes32(0), address(0), 1_000);
    }

    /// @dev Whatever the share, the reward plus the treasury's credit is exactly what was taken, and the books hold.
    function testFuzz_slashWithReward_splitsExactly(uint96 stakeAmount, uint96 slashAmount, uint16 rewardBps) public {
        uint256 total = uint256(stakeAmount) + 1;
        _stake(ALICE, total);
        uint256 bps = uint256(rewardBps) % 10_001;
        (uint256 slashed, uint256 reward) =
            staking.slashWithReward(ALICE, address(0), uint256(slashAmount) + 1, bytes32(0), REPORTER, bps);
        _assertEq(reward, slashed * bps / 10_000, "reward");
        _assertEq(token.balanceOf(REPORTER) + staking.treasuryBalance(), slashed, "reward + treasury = slashed");
        _checkBooks();
    }

    /// @dev Unbonding and slashing bounds over random amounts and times: nothing leaves before the period,
    /// a slash takes exactly min(amount, stake), from the runner's lock first, and locked stake never unbonds.
    function testFuzz_unbondingAndSlashingBounds(
        uint96 stakeAmount,
        uint96 lockAmount,
        uint96 unstakeAmount,
        uint96 slashAmount,
        uint32 waitTime
    ) public {
        uint256 total = uint256(stakeAmount) + 1;
        _stake(ALICE, total);
        uint256 locked = uint256(lockAmount) % (total + 1);
        if (locked != 0) {
            vm.prank(LOCKER);
            staking.lockStake(ALICE, RUNNER_A, locked);
        }

        uint256 unstake = uint256(unstakeAmount) % (total + 1) + 1;
        vm.prank(ALICE);
        if (unstake > total - locked) {
            vm.expectRevert(
                abi.encodeWithSelector(IStaking.StakingInsufficientFreeStake.selector, ALICE, unstake, total - locked)
            );
            staking.requestUnstake(unstake);
            unstake = 0;
        } else {
            staking.requestUnstake(unstake);
        }
        _assertEq(staking.getStake(ALICE).locked, locked, "locked stake never unbonds");

        uint256 requested = uint256(slashAmount) % (total + 2) + 1;
        uint256 slash = staking.slash(ALICE, RUNNER_A, requested, bytes32(0));
        _assertEq(slash, _min(requested, total), "slash takes what is there, up to its amount");
        IStaking.StakeInfo memory info = staking.getStake(ALICE);
        _assertEq(uint256(info.staked) + info.unbonding, total - slash, "slash takes exactly what it reports");
        if (info.locked > info.staked) revert("locked exceeds staked");
        // The runner's lock goes first, so free stake is touched only once the lock is gone.
        _assertEq(info.locked, locked - _min(locked, slash), "slash order");
        _assertEq(staking.runnerLock(ALICE, RUNNER_A), info.locked, "the runner's lock is the staker's locked");

        uint256 start = block.timestamp;
        vm.warp(start + uint256(waitTime) % (2 * UNBONDING));
        uint256 before = token.balanceOf(ALICE);
        vm.prank(ALICE);
        if (info.unbonding == 0) {
            vm.expectRevert(abi.encodeWithSelector(IStaking.StakingNothingToWithdraw.selector, ALICE));
            staking.withdrawStake();
        } else if (block.timestamp < info.unbondingEnd) {
            vm.expectRevert(
                abi.encodeWithSelector(IStaking.StakingStillUnbonding.selector, ALICE, info.unbondingEnd)
            );
            staking.withdrawStake();
        } else {
            staking.withdrawStake();
            _assertEq(token.balanceOf(ALICE) - before, info.unbonding, "withdrawn");
            if (block.timestamp < start + UNBONDING) revert("withdrew before the unbonding period");
        }
        _checkBooks();
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
