export { type GetFreeStakeParameters, type GetFreeStakeReturnType, getFreeStake } from "./getFreeStake.js";
export {
  type GetRunnerLockParameters,
  type GetRunnerLockReturnType,
  getRunnerLock,
} from "./getRunnerLock.js";
export { type GetStakeParameters, type GetStakeReturnType, getStake } from "./getStake.js";
export {
  type GetStakingTreasuryParameters,
  type GetStakingTreasuryReturnType,
  getStakingTreasury,
} from "./getStakingTreasury.js";
export {
  type GetStakingTreasuryBalanceParameters,
  type GetStakingTreasuryBalanceReturnType,
  getStakingTreasuryBalance,
} from "./getStakingTreasuryBalance.js";
export {
  type GetTotalStakedParameters,
  type GetTotalStakedReturnType,
  getTotalStaked,
} from "./getTotalStaked.js";
export {
  type GetUnbondingPeriodParameters,
  type GetUnbondingPeriodReturnType,
  getUnbondingPeriod,
} from "./getUnbondingPeriod.js";
export { type LockStakeParameters, type LockStakeReturnType, lockStake } from "./lockStake.js";
export {
  type RequestUnstakeParameters,
  type RequestUnstakeReturnType,
  requestUnstake,
} from "./requestUnstake.js";
export { type SlashParameters, type SlashReturnType, slash } from "./slash.js";
export {
  type SlashWithRewardParameters,
  type SlashWithRewardReturnType,
  slashWithReward,
} from "./slashWithReward.js";
export { type StakeParameters, type StakeReturnType, stake } from "./stake.js";
export { type UnlockStakeParameters, type UnlockStakeReturnType, unlockStake } from "./unlockStake.js";
export {
  type WithdrawStakeParameters,
  type WithdrawStakeReturnType,
  withdrawStake,
} from "./withdrawStake.js";
export {
  type WithdrawStakingTreasuryParameters,
  type WithdrawStakingTreasuryReturnType,
  withdrawStakingTreasury,
} from "./withdrawStakingTreasury.js";
