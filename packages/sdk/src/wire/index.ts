export { decodeFrame } from "./decodeFrame.js";
export { encodeFrame } from "./encodeFrame.js";
export * from "./errors.js";
export {
  DEFAULT_FRAME_LIMITS,
  type DecodedFrame,
  type Frame,
  type FrameKind,
  type FrameLimits,
  type FramePayload,
  type RouteHop,
  SESSION_ID_LENGTH,
  type WireSampling,
} from "./frame.js";
export { ReplayGuard, type ReplayGuardOptions } from "./ReplayGuard.js";
export { retryAfterOf, withRetryAfter } from "./retryAfter.js";
export { checkSampling } from "./sampling.js";
export { type CreateWireChannelParameters, createWireChannel, WireChannel } from "./WireChannel.js";
export { type OpenedFrame, WireReceiver, type WireReceiverOptions } from "./WireReceiver.js";
export { compressedPublicKey, deriveWireKeys, WIRE_PROTOCOL_TAG, type WireKeys } from "./wireKeys.js";
