import { TeeTeeError } from "@teetee/errors";

/** A runner's `/v1/registration` document is malformed; `details` lists every problem, by field. */
export class RunnerRegistrationDocumentError extends TeeTeeError {
  override name = "RunnerRegistrationDocumentError" as const;
}
