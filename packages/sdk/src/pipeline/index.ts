export {
  type AuditPayer,
  type AuditPayment,
  type AuditRouteParameters,
  type AuditRouteReturnType,
  AuditSampler,
  auditRoute,
  requestsToCatch,
  type ShardAudit,
} from "./auditRoute.js";
export {
  PartialReceiptsError,
  PipelineError,
  type PipelineErrorOptions,
  RouteError,
  RunnerAttestationMismatchError,
  RunnerRefusedError,
  RunnerUnreachableError,
} from "./errors.js";
export { type FrameExchange, FrameLink, type FrameLinkParameters } from "./FrameLink.js";
export { FrameStreamConnection } from "./FrameStreamConnection.js";
export {
  CLOSING_ID,
  encodeRecord,
  FRAME_STREAM_PROTOCOL,
  type FrameRecord,
  FrameStreamError,
  RECORD_HEADER_LENGTH,
  RECORD_TYPES,
  RecordReader,
  type RecordType,
  recordContentType,
  recordTypeOf,
} from "./frameStream.js";
export {
  type GenerateOverRouteParameters,
  type GenerateOverRouteReturnType,
  generateOverRoute,
} from "./generateOverRoute.js";
export {
  type CreatePipelineSessionParameters,
  createPipelineSession,
  type HopExchange,
  PipelineSession,
  type PipelineTopology,
  type PipelineTraffic,
  type SampledToken,
} from "./PipelineSession.js";
export { type PostFrameParameters, type PostFrameReturnType, postFrame } from "./postFrame.js";
export {
  normalizePublicKey,
  type RouteRunner,
  RouteVerifier,
  type RouteVerifierParameters,
  type VerifiedRunner,
} from "./RouteVerifier.js";
export { closeFrameStreams, type FrameTransport, type SendFrameParameters, sendFrame } from "./sendFrame.js";
