export { attestRunner, type QuoteSource } from "./attestRunner.js";
export {
  type BatchLimits,
  type BatchObservation,
  BatchScheduler,
  type BatchSchedulerParameters,
  type BatchShard,
  type BatchStep,
  DEFAULT_BATCH_LIMITS,
  type SchedulerLoad,
} from "./BatchScheduler.js";
export {
  batchKvBytesOf,
  parseRunnerConfig,
  type RunnerConfig,
  type RunnerConfigInput,
  runnerConfigSchema,
  runnerOptions,
  runnerUsage,
} from "./config.js";
export {
  createFrameProcessor,
  createRunnerApp,
  type FrameReply,
  type RunnerAppParameters,
  refusal,
} from "./createRunnerApp.js";
export {
  type EnsureRegistrationParameters,
  ensureRegistration,
  type RegistrationOutcome,
} from "./ensureRegistration.js";
export {
  BuyerBusyError,
  FrameRequestError,
  messageOf,
  PaymentRequiredError,
  RunnerError,
  RunnerFullError,
  RunnerListenError,
  RunnerStartupError,
  SequenceLimitError,
  SessionOrderError,
  statusOf,
  UnknownSessionError,
} from "./errors.js";
export { type Arrival, FrameHandler, type FrameHandlerParameters, sessionKey } from "./FrameHandler.js";
export {
  attachFrameStream,
  type FrameStreamServer,
  type FrameStreamServerParameters,
} from "./frameStreamServer.js";
export { createRunnerMetrics, type RunnerMetrics } from "./metrics.js";
export { allowAllPayments, type PaymentContext, type PaymentHook } from "./PaymentHook.js";
export { groupBytes, planDecodeGroups } from "./planDecodeGroups.js";
export {
  type KvCacheSource,
  type KvUsage,
  type RunnerSession,
  type SessionLimits,
  SessionStore,
} from "./SessionStore.js";
export {
  loadOrCreateRunnerKey,
  type RunnerKey,
  SEAL_KEY_PATH,
  SEAL_KEY_PURPOSE,
  SEALED_KEY_FILE,
  type SealKeySource,
} from "./sealedRunnerKey.js";
export { type StartedRunner, type StartRunnerParameters, startRunner } from "./startRunner.js";
