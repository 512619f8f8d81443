export * from "./accessControl/index.js";
export * from "./chains/index.js";
export {
  type DecodeContractErrorReturnType,
  type DecodedContractError,
  decodeContractError,
  isTeeTeeError,
} from "./decodeContractError.js";
export { teeTeeErrorAbi } from "./errorAbi.js";
export { type TeeTeeErrorName, teeTeeErrorMessages } from "./errorMessages.js";
export {
  ContractRevertError,
  InvalidContractParameterError,
  MissingContractAddressError,
  TeeTeeContractError,
  type TeeTeeContractErrorOptions,
} from "./errors.js";
export type { ReadOptions, TeeTeeClient, WriteOptions } from "./internal/contractCalls.js";
export {
  attestationRefreshTypes,
  paymentEscrowDomain,
  permitTypes,
  runnerRegistrationTypes,
  runnerRegistryDomain,
  voucherTypes,
} from "./internal/eip712.js";
export type { ContractTarget } from "./internal/resolveAddress.js";
export * from "./modelRegistry/index.js";
export * from "./paymentEscrow/index.js";
export { type SignPermitParameters, type SignPermitReturnType, signPermit } from "./permit/signPermit.js";
export {
  type ComputeCostParameters,
  type ComputeCostReturnType,
  computeCost,
} from "./pricing/computeCost.js";
export * from "./receiptSlasher/index.js";
export * from "./runnerConsent/index.js";
export * from "./runnerRegistry/index.js";
export * from "./staking/index.js";
export * from "./token/index.js";
export type {
  EscrowAccount,
  Model,
  ModelParams,
  RevenueSplit,
  RouteAllocation,
  Runner,
  RunnerRegistration,
  RunnerView,
  SessionSigner,
  Shard,
  StakeInfo,
  TeeTeeContractName,
  TeeTeeContracts,
  Voucher,
} from "./types.js";
export * from "./voucher/index.js";
