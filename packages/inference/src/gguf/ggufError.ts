import { InferenceError } from "../errors.js";

/** A model that cannot be written as GGUF as asked (a shape a block format cannot hold, an unmapped feature). */
export class GgufError extends InferenceError {
  override name = "GgufError" as const;
}
