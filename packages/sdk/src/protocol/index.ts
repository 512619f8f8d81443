export { RunnerRegistrationDocumentError } from "./errors.js";
export {
  ATTESTATION_PATH,
  ENVELOPE_CONTENT_TYPE,
  FRAMES_PATH,
  HEALTH_PATH,
  LOAD_PATH,
  METRICS_PATH,
  PLAIN_FRAME_CONTENT_TYPE,
  REGISTRATION_PATH,
  runnerUrl,
} from "./paths.js";
export {
  fetchRunnerAttestation,
  parseRunnerAttestationDocument,
  type RunnerAttestationDocument,
  runnerAttestationDocumentSchema,
} from "./runnerAttestationDocument.js";
export { parseRunnerLoad, type RunnerLoad, runnerLoadSchema } from "./runnerLoad.js";
export {
  type PrintedRunnerCall,
  parseRunnerRegistrationDocument,
  printedRunnerCallSchema,
  type RunnerRegistrationDocument,
  type RunnerRegistrationDocumentJson,
  runnerRegistrationDocumentJson,
  runnerRegistrationDocumentSchema,
  runnerRegistrationSchema,
} from "./runnerRegistrationDocument.js";
export { type AnswerText, answerText, TextStream, type TokenDecoder } from "./TextStream.js";
