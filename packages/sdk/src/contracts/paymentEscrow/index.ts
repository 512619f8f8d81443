export { type AllocateParameters, type AllocateReturnType, allocate } from "./allocate.js";
export {
  type AuthorizeSignerParameters,
  type AuthorizeSignerReturnType,
  authorizeSigner,
} from "./authorizeSigner.js";
export {
  type CancelReleaseParameters,
  type CancelReleaseReturnType,
  cancelRelease,
} from "./cancelRelease.js";
export {
  type CancelWithdrawalParameters,
  type CancelWithdrawalReturnType,
  cancelWithdrawal,
} from "./cancelWithdrawal.js";
export { type DepositParameters, type DepositReturnType, deposit } from "./deposit.js";
export { type DepositForParameters, type DepositForReturnType, depositFor } from "./depositFor.js";
export {
  type DepositWithPermitParameters,
  type DepositWithPermitReturnType,
  depositWithPermit,
} from "./depositWithPermit.js";
export {
  type GetAllocationParameters,
  type GetAllocationReturnType,
  getAllocation,
} from "./getAllocation.js";
export {
  type GetAvailableAllocationParameters,
  type GetAvailableAllocationReturnType,
  getAvailableAllocation,
} from "./getAvailableAllocation.js";
export {
  type GetAvailableBalanceParameters,
  type GetAvailableBalanceReturnType,
  getAvailableBalance,
} from "./getAvailableBalance.js";
export {
  type GetChannelPaidParameters,
  type GetChannelPaidReturnType,
  getChannelPaid,
} from "./getChannelPaid.js";
export { type GetEarningsParameters, type GetEarningsReturnType, getEarnings } from "./getEarnings.js";
export {
  type GetEscrowAccountParameters,
  type GetEscrowAccountReturnType,
  getEscrowAccount,
} from "./getEscrowAccount.js";
export {
  type GetEscrowTreasuryParameters,
  type GetEscrowTreasuryReturnType,
  getEscrowTreasury,
} from "./getEscrowTreasury.js";
export {
  type GetEscrowTreasuryBalanceParameters,
  type GetEscrowTreasuryBalanceReturnType,
  getEscrowTreasuryBalance,
} from "./getEscrowTreasuryBalance.js";
export {
  type GetSessionSignerParameters,
  type GetSessionSignerReturnType,
  getSessionSigner,
} from "./getSessionSigner.js";
export {
  type GetThawPeriodParameters,
  type GetThawPeriodReturnType,
  getThawPeriod,
} from "./getThawPeriod.js";
export {
  type GetTotalDepositsParameters,
  type GetTotalDepositsReturnType,
  getTotalDeposits,
} from "./getTotalDeposits.js";
export {
  type GetTotalEarningsParameters,
  type GetTotalEarningsReturnType,
  getTotalEarnings,
} from "./getTotalEarnings.js";
export {
  type GetVoucherDigestParameters,
  type GetVoucherDigestReturnType,
  getVoucherDigest,
} from "./getVoucherDigest.js";
export {
  type RedeemVoucherParameters,
  type RedeemVoucherReturnType,
  redeemVoucher,
} from "./redeemVoucher.js";
export {
  type RedeemVouchersParameters,
  type RedeemVouchersReturnType,
  redeemVouchers,
} from "./redeemVouchers.js";
export {
  type ReleaseAllocationParameters,
  type ReleaseAllocationReturnType,
  releaseAllocation,
} from "./releaseAllocation.js";
export {
  type RequestReleaseParameters,
  type RequestReleaseReturnType,
  requestRelease,
} from "./requestRelease.js";
export {
  type RequestWithdrawalParameters,
  type RequestWithdrawalReturnType,
  requestWithdrawal,
} from "./requestWithdrawal.js";
export { type RevokeSignerParameters, type RevokeSignerReturnType, revokeSigner } from "./revokeSigner.js";
export { type WithdrawParameters, type WithdrawReturnType, withdraw } from "./withdraw.js";
export {
  type WithdrawEarningsParameters,
  type WithdrawEarningsReturnType,
  withdrawEarnings,
} from "./withdrawEarnings.js";
export {
  type WithdrawEscrowTreasuryParameters,
  type WithdrawEscrowTreasuryReturnType,
  withdrawEscrowTreasury,
} from "./withdrawEscrowTreasury.js";
