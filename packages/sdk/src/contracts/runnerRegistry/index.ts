export {
  type DeactivateRunnerParameters,
  type DeactivateRunnerReturnType,
  deactivateRunner,
} from "./deactivateRunner.js";
export {
  type FindRegistrationPeriodParameters,
  type FindRegistrationPeriodReturnType,
  findRegistrationPeriod,
} from "./findRegistrationPeriod.js";
export {
  type GetContributorRunnersParameters,
  type GetContributorRunnersReturnType,
  getContributorRunners,
} from "./getContributorRunners.js";
export {
  type GetQuoteVerifierParameters,
  type GetQuoteVerifierReturnType,
  getQuoteVerifier,
} from "./getQuoteVerifier.js";
export {
  type GetRefreshDigestParameters,
  type GetRefreshDigestReturnType,
  getRefreshDigest,
} from "./getRefreshDigest.js";
export {
  type GetRegistrationDigestParameters,
  type GetRegistrationDigestReturnType,
  getRegistrationDigest,
} from "./getRegistrationDigest.js";
export {
  type GetRegistrationPeriodsParameters,
  type GetRegistrationPeriodsReturnType,
  getRegistrationPeriods,
  type RegistrationPeriod,
} from "./getRegistrationPeriods.js";
export {
  type GetReportDataCommitmentParameters,
  type GetReportDataCommitmentReturnType,
  getReportDataCommitment,
} from "./getReportDataCommitment.js";
export {
  type GetRouteContributorsParameters,
  type GetRouteContributorsReturnType,
  getRouteContributors,
} from "./getRouteContributors.js";
export { type GetRunnerParameters, type GetRunnerReturnType, getRunner } from "./getRunner.js";
export {
  type GetRunnerBackingParameters,
  type GetRunnerBackingReturnType,
  getRunnerBacking,
} from "./getRunnerBacking.js";
export {
  type GetRunnerNonceParameters,
  type GetRunnerNonceReturnType,
  getRunnerNonce,
} from "./getRunnerNonce.js";
export { type GetRunnersParameters, type GetRunnersReturnType, getRunners } from "./getRunners.js";
export {
  type IsActiveContributorParameters,
  type IsActiveContributorReturnType,
  isActiveContributor,
} from "./isActiveContributor.js";
export { type IsRoutableParameters, type IsRoutableReturnType, isRoutable } from "./isRoutable.js";
export {
  type RefreshAttestationParameters,
  type RefreshAttestationReturnType,
  refreshAttestation,
} from "./refreshAttestation.js";
export {
  type RegisterRunnerParameters,
  type RegisterRunnerReturnType,
  registerRunner,
} from "./registerRunner.js";
export { type SetEndpointParameters, type SetEndpointReturnType, setEndpoint } from "./setEndpoint.js";
export {
  type SetQuoteVerifierParameters,
  type SetQuoteVerifierReturnType,
  setQuoteVerifier,
} from "./setQuoteVerifier.js";
