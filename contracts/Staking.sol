// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IStaking} from "./interfaces/IStaking.sol";

/// @title Staking
/// @notice Contributors' stake. The runner registry (LOCKER_ROLE) locks stake behind each runner separately; free
/// stake unbonds for `unbondingPeriod` before it can be withdrawn; SLASHER_ROLE takes stake on evidence for the
/// treasury (`slashWithReward`: less a reward to whoever brought the evidence). The admin role moves in two steps
/// with a delay (AccessControlDefaultAdminRules).
/// @dev Invariants: token balance == totalStaked + treasuryBalance (tokens sent here directly are not counted);
/// each staker's `locked` == the sum of its runners' locks.
contract Staking is IStaking, AccessControlDefaultAdminRules, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Role allowed to lock and unlock stake (the runner registry).
    bytes32 public constant LOCKER_ROLE = keccak256("LOCKER_ROLE");
    /// @notice Role allowed to slash.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @inheritdoc IStaking
    uint64 public constant MAX_UNBONDING_PERIOD = 365 days;
    uint256 private constant _BPS = 10_000;

    IERC20 private immutable _token;
    address private immutable _treasury;
    uint64 private immutable _unbondingPeriod;

    mapping(address staker => StakeInfo) private _stakes;
    mapping(address staker => mapping(address runner => uint256)) private _runnerLocks;
    uint256 private _totalStaked;
    uint256 private _treasuryBalance;

    /// @param token_ the payment token staked
    /// @param admin holder of DEFAULT_ADMIN_ROLE, who grants LOCKER_ROLE and SLASHER_ROLE
    /// @param adminDelay seconds a DEFAULT_ADMIN_ROLE transfer waits between `beginDefaultAdminTransfer` and
    /// `acceptDefaultAdminTransfer`
    /// @param treasury_ receiver of slashed stake
    /// @param unbondingPeriod_ seconds between `requestUnstake` and `withdrawStake`, at most `MAX_UNBONDING_PERIOD`
    constructor(IERC20 token_, address admin, uint48 adminDelay, address treasury_, uint64 unbondingPeriod_)
        AccessControlDefaultAdminRules(adminDelay, admin)
    {
        if (address(token_) == address(0) || treasury_ == address(0)) revert StakingZeroAddress();
        if (unbondingPeriod_ > MAX_UNBONDING_PERIOD) {
            revert StakingUnbondingPeriodTooLong(unbondingPeriod_, MAX_UNBONDING_PERIOD);
        }
        _token = token_;
        _treasury = treasury_;
        _unbondingPeriod = unbondingPeriod_;
    }

    /// @inheritdoc IStaking
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert StakingZeroAmount();
        StakeInfo storage info = _stakes[msg.sender];
        info.staked = (info.staked + amount).toUint128();
        _totalStaked += amount;
        emit Staked(msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IStaking
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        StakeInfo storage info = _stakes[msg.sender];
        uint256 free = info.staked - info.locked;
        if (amount > free) revert StakingInsufficientFreeStake(msg.sender, amount, free);
        uint64 unbondingEnd = uint64(block.timestamp) + _unbondingPeriod;
        info.staked -= uint128(amount);
        info.unbonding += uint128(amount);
        info.unbondingEnd = unbondingEnd;
        emit UnstakeRequested(msg.sender, amount, unbondingEnd);
    }

    /// @inheritdoc IStaking
    function withdrawStake() external nonReentrant {
        StakeInfo storage info = _stakes[msg.sender];
        uint256 amount = info.unbonding;
        if (amount == 0) revert StakingNothingToWithdraw(msg.sender);
        if (block.timestamp < info.unbondingEnd) revert StakingStillUnbonding(msg.sender, info.unbondingEnd);
        info.unbonding = 0;
        info.unbondingEnd = 0;
        _totalStaked -= amount;
        emit StakeWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IStaking
    function lockStake(address staker, address runner, uint256 amount) external onlyRole(LOCKER_ROLE) {
        if (amount == 0) revert StakingZeroAmount();
        StakeInfo storage info = _stakes[staker];
        uint256 free = info.staked - info.locked;
        if (amount > free) revert StakingInsufficientFreeStake(staker, amount, free);
        info.locked += uint128(amount);
        _runnerLocks[staker][runner] += amount;
        emit StakeLocked(staker, runner, amount);
    }

    /// @inheritdoc IStaking
    function unlockStake(address staker, address runner) external onlyRole(LOCKER_ROLE) returns (uint256 released) {
        released = _runnerLocks[staker][runner];
        if (released == 0) return 0;
        _runnerLocks[staker][runner] = 0;
        _stakes[staker].locked -= uint128(released);
        emit StakeUnlocked(staker, runner, released);
    }

    /// @inheritdoc IStaking
    function slash(address staker, address runner, uint256 amount, bytes32 evidenceHash)
        external
        onlyRole(SLASHER_ROLE)
        returns (uint256 slashed)
    {
        slashed = _take(staker, runner, amount);
        _treasuryBalance += slashed;
        emit Slashed(staker, runner, amount, slashed, evidenceHash, msg.sender);
    }

    /// @inheritdoc IStaking
    function slashWithReward(
        address staker,
        address runner,
        uint256 amount,
        bytes32 evidenceHash,
        address rewardRecipient,
        uint256 rewardBps
    ) external onlyRole(SLASHER_ROLE) nonReentrant returns (uint256 slashed, uint256 reward) {
        if (rewardRecipient == address(0)) revert StakingZeroAddress();
        if (rewardBps > _BPS) revert StakingRewardTooHigh(rewardBps);
        slashed = _take(staker, runner, amount);
        reward = slashed * rewardBps / _BPS;
        _treasuryBalance += slashed - reward;
        emit Slashed(staker, runner, amount, slashed, evidenceHash, msg.sender);
        if (reward == 0) return (slashed, 0);
        emit SlashRewardPaid(staker, rewardRecipient, reward, evidenceHash);
        _token.safeTransfer(rewardRecipient, reward);
    }

    /// @inheritdoc IStaking
    function withdrawTreasury() external nonReentrant {
        uint256 amount = _treasuryBalance;
        if (amount == 0) revert StakingNothingToWithdraw(_treasury);
        _treasuryBalance = 0;
        emit TreasuryWithdrawn(_treasury, amount);
        _token.safeTransfer(_treasury, amount);
    }

    /// @inheritdoc IStaking
    function getStake(address staker) external view returns (StakeInfo memory) {
        return _stakes[staker];
    }

    /// @inheritdoc IStaking
    function freeStake(address staker) external view returns (uint256) {
        StakeInfo storage info = _stakes[staker];
        return info.staked - info.locked;
    }

    /// @inheritdoc IStaking
    function runnerLock(address staker, address runner) external view returns (uint256) {
        return _runnerLocks[staker][runner];
    }

    /// @inheritdoc IStaking
    function unbondingPeriod() external view returns (uint64) {
        return _unbondingPeriod;
    }

    /// @inheritdoc IStaking
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IStaking
    function treasuryBalance() external view returns (uint256) {
        return _treasuryBalance;
    }

    /// @inheritdoc IStaking
    function totalStaked() external view returns (uint256) {
        return _totalStaked;
    }

    /// @notice The payment token staked.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @dev Takes up to `amount` of `staker`'s stake: `runner`'s lock, then free, then unbonding stake. The caller
    /// books where it goes.
    function _take(address staker, address runner, uint256 amount) private returns (uint256 taken) {
        if (amount == 0) revert StakingZeroAmount();
        StakeInfo storage info = _stakes[staker];
        uint256 free = info.staked - info.locked;
        uint256 fromLock = _min(amount, _runnerLocks[staker][runner]);
        uint256 fromFree = _min(amount - fromLock, free);
        uint256 fromUnbonding = _min(amount - fromLock - fromFree, info.unbonding);
        if (fromLock != 0) {
            _runnerLocks[staker][runner] -= fromLock;
            info.locked -= uint128(fromLock);
        }
        info.staked -= uint128(fromLock + fromFree);
        info.unbonding -= uint128(fromUnbonding);
        taken = fromLock + fromFree + fromUnbonding;
        _totalStaked -= taken;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
