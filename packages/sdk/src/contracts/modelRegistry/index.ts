export {
  type AcceptCuratorshipParameters,
  type AcceptCuratorshipReturnType,
  acceptCuratorship,
} from "./acceptCuratorship.js";
export { type GetMaxShardsParameters, type GetMaxShardsReturnType, getMaxShards } from "./getMaxShards.js";
export { type GetModelParameters, type GetModelReturnType, getModel } from "./getModel.js";
export {
  type GetModelAllowlistsParameters,
  type GetModelAllowlistsReturnType,
  getModelAllowlists,
} from "./getModelAllowlists.js";
export { type GetModelIdsParameters, type GetModelIdsReturnType, getModelIds } from "./getModelIds.js";
export {
  type GetPendingCuratorParameters,
  type GetPendingCuratorReturnType,
  getPendingCurator,
} from "./getPendingCurator.js";
export {
  type GetProtocolFeeBpsParameters,
  type GetProtocolFeeBpsReturnType,
  getProtocolFeeBps,
} from "./getProtocolFeeBps.js";
export {
  type GetRevenueSplitParameters,
  type GetRevenueSplitReturnType,
  getRevenueSplit,
} from "./getRevenueSplit.js";
export { type GetShardParameters, type GetShardReturnType, getShard } from "./getShard.js";
export {
  type IsComposeHashAllowedParameters,
  type IsComposeHashAllowedReturnType,
  isComposeHashAllowed,
} from "./isComposeHashAllowed.js";
export {
  type IsOsImageAllowedParameters,
  type IsOsImageAllowedReturnType,
  isOsImageAllowed,
} from "./isOsImageAllowed.js";
export { type ModelExistsParameters, type ModelExistsReturnType, modelExists } from "./modelExists.js";
export {
  type RegisterModelParameters,
  type RegisterModelReturnType,
  registerModel,
} from "./registerModel.js";
export {
  type SetAttestationTtlParameters,
  type SetAttestationTtlReturnType,
  setAttestationTtl,
} from "./setAttestationTtl.js";
export {
  type SetComposeHashAllowedParameters,
  type SetComposeHashAllowedReturnType,
  setComposeHashAllowed,
} from "./setComposeHashAllowed.js";
export { type SetMinStakeParameters, type SetMinStakeReturnType, setMinStake } from "./setMinStake.js";
export {
  type SetModelActiveParameters,
  type SetModelActiveReturnType,
  setModelActive,
} from "./setModelActive.js";
export {
  type SetOsImageAllowedParameters,
  type SetOsImageAllowedReturnType,
  setOsImageAllowed,
} from "./setOsImageAllowed.js";
export { type SetPricesParameters, type SetPricesReturnType, setPrices } from "./setPrices.js";
export {
  type TransferCuratorshipParameters,
  type TransferCuratorshipReturnType,
  transferCuratorship,
} from "./transferCuratorship.js";
