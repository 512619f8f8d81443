// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IStaking
/// @notice Contributors' stake in the payment token. Stake backing active runners is locked by the runner
/// registry; free stake can be unbonded, and withdrawn once the unbonding period has passed. A slasher can
/// take stake (free, locked or unbonding) on evidence; slashed funds are credited to the treasury.
interface IStaking {
    /// @notice A staker's position.
    /// @param staked stake not unbonding (includes `locked`)
    /// @param locked part of `staked` that backs active runners
    /// @param unbonding stake waiting for `unbondingEnd`
    /// @param unbondingEnd when `unbonding` can be withdrawn
    struct StakeInfo {
        uint128 staked;
        uint128 locked;
        uint128 unbonding;
        uint64 unbondingEnd;
    }

    event Staked(address indexed staker, uint256 amount);
    event UnstakeRequested(address indexed staker, uint256 amount, uint64 unbondingEnd);
    event StakeWithdrawn(address indexed staker, uint256 amount);
    event StakeLocked(address indexed staker, uint256 amount);
    event StakeUnlocked(address indexed staker, uint256 amount);
    event Slashed(address indexed staker, uint256 amount, bytes32 indexed evidenceHash, address indexed slasher);
    event TreasuryWithdrawn(address indexed to, uint256 amount);

    error StakingZeroAmount();
    error StakingInsufficientFreeStake(address staker, uint256 needed, uint256 available);
    error StakingNothingToWithdraw(address staker);
    error StakingStillUnbonding(address staker, uint64 unbondingEnd);
    error StakingSlashExceedsStake(address staker, uint256 amount, uint256 available);
    error StakingZeroAddress();

    /// @notice Adds `amount` to the caller's stake (pulls the payment token).
    function stake(uint256 amount) external;

    /// @notice Starts unbonding `amount` of free stake; adding to an existing unbonding restarts its period.
    function requestUnstake(uint256 amount) external;

    /// @notice Sends the caller's unbonded stake once the unbonding period has passed.
    function withdrawStake() external;

    /// @notice Locks free stake behind a runner. LOCKER_ROLE (the runner registry) only.
    function lockStake(address staker, uint256 amount) external;

    /// @notice Releases locked stake. LOCKER_ROLE only. Unlocks at most what is still locked (slashing may have
    /// reduced it) and returns the amount released.
    function unlockStake(address staker, uint256 amount) external returns (uint256 released);

    /// @notice Takes `amount` from a staker: free stake first, then locked, then unbonding. SLASHER_ROLE only.
    function slash(address staker, uint256 amount, bytes32 evidenceHash) external;

    /// @notice Sends the slashed funds held for the treasury to the treasury address.
    function withdrawTreasury() external;

    function getStake(address staker) external view returns (StakeInfo memory);

    /// @notice Stake that is neither locked nor unbonding.
    function freeStake(address staker) external view returns (uint256);

    function unbondingPeriod() external view returns (uint64);

    function treasury() external view returns (address);

    function treasuryBalance() external view returns (uint256);

    /// @notice Sum of all `staked` plus `unbonding`; with `treasuryBalance` it equals this contract's token balance.
    function totalStaked() external view returns (uint256);
}
