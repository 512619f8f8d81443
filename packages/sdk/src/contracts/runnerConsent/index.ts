export {
  type HashAttestationRefreshParameters,
  type HashAttestationRefreshReturnType,
  hashAttestationRefresh,
} from "./hashAttestationRefresh.js";
export {
  type HashRunnerConsentParameters,
  type HashRunnerConsentReturnType,
  hashRunnerConsent,
} from "./hashRunnerConsent.js";
export {
  type SignAttestationRefreshParameters,
  type SignAttestationRefreshReturnType,
  signAttestationRefresh,
} from "./signAttestationRefresh.js";
export {
  type SignRunnerConsentParameters,
  type SignRunnerConsentReturnType,
  signRunnerConsent,
} from "./signRunnerConsent.js";
