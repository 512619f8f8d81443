// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IStaking
/// @notice Contributors' stake in the payment token. Stake backing active runners is locked by the runner
/// registry, per runner: each runner's lock is its own, so a slash of one runner never eats the stake another
/// runner stands on, and releasing a runner frees only its own lock. Free stake can be unbonded, and withdrawn
/// once the unbonding period has passed. A slasher takes stake on evidence (the named runner's lock, then free,
/// then unbonding stake, as much as is there); slashed funds are credited to the treasury, less the reward
/// `slashWithReward` pays whoever brought the evidence.
interface IStaking {
    /// @notice A staker's position.
    /// @param staked stake not unbonding (includes `locked`)
    /// @param locked part of `staked` that backs active runners (the sum of their `runnerLock`s)
    /// @param unbonding stake waiting for `unbondingEnd`
    /// @param unbondingEnd when `unbonding` can be withdrawn
    struct StakeInfo {
        uint128 staked;
        uint128 locked;
        uint128 unbonding;
        uint64 unbondingEnd;
    }

    /// @notice `staker` added `amount` to its stake.
    /// @param staker whose stake grew
    /// @param amount payment-token base units added
    event Staked(address indexed staker, uint256 amount);
    /// @notice `staker` started unbonding `amount`, withdrawable from `unbondingEnd`.
    /// @param staker whose stake unbonds
    /// @param amount the whole amount now unbonding (a new request replaces the previous one)
    /// @param unbondingEnd when it can be withdrawn (unix seconds)
    event UnstakeRequested(address indexed staker, uint256 amount, uint64 unbondingEnd);
    /// @notice `staker` withdrew `amount` of unbonded stake.
    /// @param staker who withdrew
    /// @param amount payment-token base units sent
    event StakeWithdrawn(address indexed staker, uint256 amount);
    /// @notice `amount` of `staker`'s free stake now backs `runner`.
    /// @param staker the runner's contributor
    /// @param runner the runner the stake backs
    /// @param amount payment-token base units locked
    event StakeLocked(address indexed staker, address indexed runner, uint256 amount);
    /// @notice `runner`'s whole lock, `amount`, went back to `staker`'s free stake.
    /// @param staker the runner's contributor
    /// @param runner the runner that no longer needs it
    /// @param amount payment-token base units unlocked
    event StakeUnlocked(address indexed staker, address indexed runner, uint256 amount);
    /// @notice `slasher` asked for `requested` of `staker`'s stake (first from `runner`'s lock) on evidence
    /// `evidenceHash` and took `slashed` (less when less was there) for the treasury, less the `SlashRewardPaid`
    /// of the same slash if any.
    /// @param staker the contributor slashed
    /// @param runner the runner whose lock was taken first
    /// @param requested payment-token base units asked for
    /// @param slashed payment-token base units taken
    /// @param evidenceHash hash of the evidence the slasher acted on
    /// @param slasher the account holding SLASHER_ROLE that slashed
    event Slashed(
        address indexed staker,
        address indexed runner,
        uint256 requested,
        uint256 slashed,
        bytes32 indexed evidenceHash,
        address slasher
    );
    /// @notice `recipient` was paid `amount` of what was slashed from `staker` on evidence `evidenceHash`, as its
    /// reward for the evidence; the rest of that slash went to the treasury.
    /// @param staker the contributor slashed
    /// @param recipient who was paid (the reporter of the evidence)
    /// @param amount payment-token base units sent
    /// @param evidenceHash hash of the evidence, as in the `Slashed` event of the same slash
    event SlashRewardPaid(
        address indexed staker, address indexed recipient, uint256 amount, bytes32 indexed evidenceHash
    );
    /// @notice The treasury's slashed funds, `amount`, were sent to `to`.
    /// @param to the treasury address
    /// @param amount payment-token base units sent
    event TreasuryWithdrawn(address indexed to, uint256 amount);

    /// @notice The amount must be greater than zero.
    error StakingZeroAmount();
    /// @notice `staker` has `available` free stake but `needed` is needed; stake more or deactivate a runner.
    /// @param staker whose free stake fell short
    /// @param needed payment-token base units the call needed
    /// @param available free stake (staked less locked and unbonding)
    error StakingInsufficientFreeStake(address staker, uint256 needed, uint256 available);
    /// @notice `staker` has no unbonded stake to withdraw.
    /// @param staker who tried to withdraw
    error StakingNothingToWithdraw(address staker);
    /// @notice Stake of `staker` is unbonding until `unbondingEnd`.
    /// @param staker who tried to withdraw
    /// @param unbondingEnd when the unbonding stake becomes withdrawable (unix seconds)
    error StakingStillUnbonding(address staker, uint64 unbondingEnd);
    /// @notice An address cannot be zero.
    error StakingZeroAddress();
    /// @notice An unbonding period of `period` s exceeds the maximum of `max` s.
    /// @param period the unbonding period given, in seconds (one near 2^64 would overflow every unbonding end)
    /// @param max the longest allowed, in seconds
    error StakingUnbondingPeriodTooLong(uint64 period, uint64 max);
    /// @notice A reward of `bps` basis points of a slash exceeds the whole (10,000).
    /// @param bps the reward share asked for
    error StakingRewardTooHigh(uint256 bps);

    /// @notice Adds `amount` to the caller's stake (pulls the payment token).
    function stake(uint256 amount) external;

    /// @notice Starts unbonding `amount` of free stake; adding to an existing unbonding restarts its period.
    function requestUnstake(uint256 amount) external;

    /// @notice Sends the caller's unbonded stake once the unbonding period has passed.
    function withdrawStake() external;

    /// @notice Locks `amount` of `staker`'s free stake behind `runner`. LOCKER_ROLE (the runner registry) only.
    function lockStake(address staker, address runner, uint256 amount) external;

    /// @notice Releases what is left of `runner`'s lock (a slash may have reduced it) to `staker`'s free stake,
    /// and nothing else. LOCKER_ROLE only.
    /// @return released the amount released
    function unlockStake(address staker, address runner) external returns (uint256 released);

    /// @notice Takes up to `amount` from `staker` on evidence against `runner`: from `runner`'s lock first, then
    /// free stake, then unbonding stake (even when matured). Takes what is there when that is less; never reverts
    /// for a short stake. Pass `runner` = address(0) to slash free and unbonding stake only. SLASHER_ROLE only.
    /// @return slashed the amount taken, credited to the treasury
    function slash(address staker, address runner, uint256 amount, bytes32 evidenceHash)
        external
        returns (uint256 slashed);

    /// @notice `slash`, then sends `rewardBps` / 10,000 of what it took (rounded down) to `rewardRecipient` at once
    /// and credits the rest to the treasury. SLASHER_ROLE only: the equivocation slasher pays its reporters so.
    /// @dev The reward is pushed, not credited for a later pull: the recipient is the account that submitted the
    /// evidence in this very transaction, so a recipient that cannot receive only fails its own report.
    /// @return slashed the amount taken
    /// @return reward the part of it sent to `rewardRecipient`
    function slashWithReward(
        address staker,
        address runner,
        uint256 amount,
        bytes32 evidenceHash,
        address rewardRecipient,
        uint256 rewardBps
    ) external returns (uint256 slashed, uint256 reward);

    /// @notice Sends the slashed funds held for the treasury to the treasury address.
    function withdrawTreasury() external;

    function getStake(address staker) external view returns (StakeInfo memory);

    /// @notice What of `staker`'s stake is locked behind `runner` now (reduced by slashes of that runner).
    function runnerLock(address staker, address runner) external view returns (uint256);

    /// @notice The longest unbonding period a deployment may set: 365 days.
    function MAX_UNBONDING_PERIOD() external view returns (uint64);

    /// @notice Stake that is neither locked nor unbonding.
    function freeStake(address staker) external view returns (uint256);

    function unbondingPeriod() external view returns (uint64);

    function treasury() external view returns (address);

    function treasuryBalance() external view returns (uint256);

    /// @notice Sum of all `staked` plus `unbonding`; with `treasuryBalance` it equals this contract's token balance.
    function totalStaked() external view returns (uint256);
}
