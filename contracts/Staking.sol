// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IStaking} from "./interfaces/IStaking.sol";

/// @title Staking
/// @notice Contributors' stake. The runner registry (LOCKER_ROLE) locks stake behind runners; free stake unbonds
/// for `unbondingPeriod` before it can be withdrawn; SLASHER_ROLE takes stake on evidence for the treasury.
/// @dev Invariant: token balance == totalStaked + treasuryBalance (tokens sent here directly are not counted).
contract Staking is IStaking, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Role allowed to lock and unlock stake (the runner registry).
    bytes32 public constant LOCKER_ROLE = keccak256("LOCKER_ROLE");
    /// @notice Role allowed to slash.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    IERC20 private immutable _token;
    address private immutable _treasury;
    uint64 private immutable _unbondingPeriod;

    mapping(address staker => StakeInfo) private _stakes;
    uint256 private _totalStaked;
    uint256 private _treasuryBalance;

    /// @param token_ the payment token staked
    /// @param admin holder of DEFAULT_ADMIN_ROLE, who grants LOCKER_ROLE and SLASHER_ROLE
    /// @param treasury_ receiver of slashed stake
    /// @param unbondingPeriod_ seconds between `requestUnstake` and `withdrawStake`
    constructor(IERC20 token_, address admin, address treasury_, uint64 unbondingPeriod_) {
        if (address(token_) == address(0) || treasury_ == address(0)) revert StakingZeroAddress();
        _token = token_;
        _treasury = treasury_;
        _unbondingPeriod = unbondingPeriod_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
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
    function lockStake(address staker, uint256 amount) external onlyRole(LOCKER_ROLE) {
        if (amount == 0) revert StakingZeroAmount();
        StakeInfo storage info = _stakes[staker];
        uint256 free = info.staked - info.locked;
        if (amount > free) revert StakingInsufficientFreeStake(staker, amount, free);
        info.locked += uint128(amount);
        emit StakeLocked(staker, amount);
    }

    /// @inheritdoc IStaking
    function unlockStake(address staker, uint256 amount) external onlyRole(LOCKER_ROLE) returns (uint256 released) {
        StakeInfo storage info = _stakes[staker];
        uint256 locked = info.locked;
        released = amount < locked ? amount : locked;
        info.locked = uint128(locked - released);
        emit StakeUnlocked(staker, released);
    }

    /// @inheritdoc IStaking
    function slash(address staker, uint256 amount, bytes32 evidenceHash) external onlyRole(SLASHER_ROLE) {
        if (amount == 0) revert StakingZeroAmount();
        StakeInfo storage info = _stakes[staker];
        uint256 staked = info.staked;
        uint256 locked = info.locked;
        uint256 unbonding = info.unbonding;
        if (amount > staked + unbonding) revert StakingSlashExceedsStake(staker, amount, staked + unbonding);

        uint256 free = staked - locked;
        uint256 rest = amount;
        uint256 fromFree = rest < free ? rest : free;
        rest -= fromFree;
        uint256 fromLocked = rest < locked ? rest : locked;
        rest -= fromLocked;

        info.staked = uint128(staked - fromFree - fromLocked);
        info.locked = uint128(locked - fromLocked);
        if (rest != 0) info.unbonding = uint128(unbonding - rest);
        _totalStaked -= amount;
        _treasuryBalance += amount;
        emit Slashed(staker, amount, evidenceHash, msg.sender);
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
}
