// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IStaking} from "../contracts/interfaces/IStaking.sol";
import {TestBase} from "./solidity/TestBase.sol";

contract StakingTest is TestBase {
    address internal constant ALICE = address(0xA11CE);
    address internal constant LOCKER = address(0x10C6);

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
        staking.lockStake(ALICE, 70);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingInsufficientFreeStake.selector, ALICE, 31, 30));
        staking.requestUnstake(31);
    }

    function test_lockStake_onlyLocker() public {
        _stake(ALICE, 100);
        bytes32 role = staking.LOCKER_ROLE();
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, ALICE, role));
        staking.lockStake(ALICE, 10);
    }

    function test_slash_onlySlasher() public {
        _stake(ALICE, 100);
        bytes32 role = staking.SLASHER_ROLE();
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, ALICE, role));
        staking.slash(ALICE, 10, bytes32(0));
    }

    function test_slash_takesFreeThenLockedThenUnbonding() public {
        _stake(ALICE, 100);
        vm.prank(ALICE);
        staking.requestUnstake(30);
        vm.prank(LOCKER);
        staking.lockStake(ALICE, 50);
        staking.slash(ALICE, 30, keccak256("evidence"));
        IStaking.StakeInfo memory info = staking.getStake(ALICE);
        _assertEq(info.staked, 40, "free first");
        _assertEq(info.locked, 40, "then locked");
        staking.slash(ALICE, 60, keccak256("evidence"));
        info = staking.getStake(ALICE);
        _assertEq(info.staked, 0, "staked");
        _assertEq(info.locked, 0, "locked");
        _assertEq(info.unbonding, 10, "then unbonding");
        _assertEq(staking.treasuryBalance(), 90, "treasury");
        _checkBooks();
    }

    function test_slash_revertsAboveStake() public {
        _stake(ALICE, 100);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingSlashExceedsStake.selector, ALICE, 101, 100));
        staking.slash(ALICE, 101, bytes32(0));
    }

    function test_unlockStake_releasesAtMostLocked() public {
        _stake(ALICE, 100);
        vm.prank(LOCKER);
        staking.lockStake(ALICE, 60);
        staking.slash(ALICE, 80, bytes32(0));
        vm.prank(LOCKER);
        uint256 released = staking.unlockStake(ALICE, 60);
        _assertEq(released, 20, "released");
        _assertEq(staking.getStake(ALICE).locked, 0, "locked");
    }

    function test_withdrawTreasury_sendsSlashedFunds() public {
        _stake(ALICE, 100);
        staking.slash(ALICE, 25, bytes32(0));
        staking.withdrawTreasury();
        _assertEq(token.balanceOf(TREASURY), 25, "treasury");
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakingNothingToWithdraw.selector, TREASURY));
        staking.withdrawTreasury();
        _checkBooks();
    }

    /// @dev Unbonding and slashing bounds over random amounts and times: nothing leaves before the period,
    /// a slash never takes more than the stake, and locked stake never unbonds.
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
            staking.lockStake(ALICE, locked);
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

        uint256 slash = uint256(slashAmount) % (total + 2) + 1;
        if (slash > total) {
            vm.expectRevert(abi.encodeWithSelector(IStaking.StakingSlashExceedsStake.selector, ALICE, slash, total));
            staking.slash(ALICE, slash, bytes32(0));
            slash = 0;
        } else {
            staking.slash(ALICE, slash, bytes32(0));
        }
        IStaking.StakeInfo memory info = staking.getStake(ALICE);
        _assertEq(uint256(info.staked) + info.unbonding, total - slash, "slash takes exactly its amount");
        if (info.locked > info.staked) revert("locked exceeds staked");
        // Free stake goes first, so locked stake is touched only once all free stake is gone.
        uint256 freeBefore = total - locked - unstake;
        uint256 expectedLocked = slash > freeBefore ? locked - _min(locked, slash - freeBefore) : locked;
        _assertEq(info.locked, expectedLocked, "slash order");

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
