export {
  PipelineError,
  type PipelineErrorOptions,
  RouteError,
  RunnerAttestationMismatchError,
  RunnerRefusedError,
  RunnerUnreachableError,
} from "./errors.js";
export { type FrameExchange, FrameLink, type FrameLinkParameters } from "./FrameLink.js";
export {
  type GenerateOverRouteParameters,
  type GenerateOverRouteReturnType,
  generateOverRoute,
} from "./generateOverRoute.js";
export {
  type CreatePipelineSessionParameters,
  createPipelineSession,
  PipelineSession,
  type PipelineTopology,
  type PipelineTraffic,
  type SampledToken,
} from "./PipelineSession.js";
export { type PostFrameParameters, type PostFrameReturnType, postFrame } from "./postFrame.js";
export {
  ATTESTATION_PATH,
  ENVELOPE_CONTENT_TYPE,
  FRAMES_PATH,
  HEALTH_PATH,
  METRICS_PATH,
  PLAIN_FRAME_CONTENT_TYPE,
  REGISTRATION_PATH,
  runnerUrl,
} from "./protocol.js";
export {
  normalizePublicKey,
  type RouteRunner,
  RouteVerifier,
  type RouteVerifierParameters,
  type VerifiedRunner,
} from "./RouteVerifier.js";
export {
  fetchRunnerAttestation,
  parseRunnerAttestationDocument,
  type RunnerAttestationDocument,
  runnerAttestationDocumentSchema,
} from "./runnerAttestationDocument.js";
