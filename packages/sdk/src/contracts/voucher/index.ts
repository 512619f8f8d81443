export { type AllocationIdParameters, type AllocationIdReturnType, allocationId } from "./allocationId.js";
export { type ChannelIdParameters, type ChannelIdReturnType, channelId } from "./channelId.js";
export { type HashVoucherParameters, type HashVoucherReturnType, hashVoucher } from "./hashVoucher.js";
export { type SignVoucherParameters, type SignVoucherReturnType, signVoucher } from "./signVoucher.js";
export {
  isEscrowSignatureForm,
  type RecoverVoucherSignerParameters,
  type RecoverVoucherSignerReturnType,
  recoverVoucherSigner,
  type VerifyVoucherParameters,
  type VerifyVoucherReturnType,
  verifyVoucher,
} from "./verifyVoucher.js";
