export { cheaterOf, EvidenceModelMismatchError, replayWithWeights } from "./Auditor.js";
export { type AuthenticateParameters, Authenticator, type Caller } from "./Authenticator.js";
export { ChainDirectory, type ChainDirectoryParameters, type ModelListing } from "./ChainDirectory.js";
export type { CompletionContext, CompletionJob } from "./completionHandler.js";
export {
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigSchema,
  gatewayOptions,
  gatewayUsage,
  parseGatewayConfig,
} from "./config.js";
export { createGatewayApp, type GatewayAppParameters } from "./createGatewayApp.js";
export {
  AuthenticationError,
  GatewayError,
  type GatewayErrorOptions,
  GatewayListenError,
  GatewayStartupError,
  InsufficientFundsError,
  InvalidRequestError,
  ModelFileNotFoundError,
  ModelNotFoundError,
  NoCapacityError,
  type OpenAIErrorType,
} from "./errors.js";
export {
  type GenerateParameters,
  type GenerateResult,
  Generator,
  type GeneratorParameters,
  type RouteAttempt,
} from "./Generator.js";
export { createGatewayMetrics, type GatewayMetrics } from "./metrics.js";
export {
  chatChunk,
  chatCompletion,
  newIdentity,
  type ResponseIdentity,
  textChunk,
  textCompletion,
} from "./openaiObjects.js";
export { PaymentSessionPool, type PaymentSessionPoolParameters } from "./PaymentSessionPool.js";
export {
  type AttestationStatus,
  RunnerPool,
  type RunnerPoolParameters,
  type RunnerState,
} from "./RunnerPool.js";
export {
  type ChatCompletionRequest,
  type CompletionRequest,
  chatCompletionRequestSchema,
  completionRequestSchema,
} from "./requestSchemas.js";
export { loadServedModel, type ServedModel } from "./ServedModel.js";
export { type StartedGateway, type StartGatewayParameters, startGateway } from "./startGateway.js";
export { TextStream } from "./TextStream.js";
export { type TeeTeeMetadata, teeteeMetadata } from "./teeteeMetadata.js";
export { type OpenAIErrorBody, toOpenAIError } from "./toOpenAIError.js";
