/**
 * The browser-safe parts of `@teetee/sdk`, imported by folder: its root index also pulls the wire codec,
 * which needs node:crypto.
 */

export type { AttestationCheck } from "../../../sdk/src/attestation/attestationResult.js";
export { quoteOsImage } from "../../../sdk/src/attestation/osImage.js";
export { verifyRunnerAttestation } from "../../../sdk/src/attestation/verifyRunnerAttestation.js";
export * from "../../../sdk/src/contracts/index.js";
export { formatApiKey } from "../../../sdk/src/payments/apiKey.js";
export { routesOf } from "../../../sdk/src/payments/routesOf.js";
export {
  parseRunnerAttestationDocument,
  type RunnerAttestationDocument,
} from "../../../sdk/src/pipeline/runnerAttestationDocument.js";
