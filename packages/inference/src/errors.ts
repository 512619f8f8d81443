import { TeeTeeError } from "@teetee/errors";

/**
 * Every failure this package reports on purpose is an `InferenceError`: a short message a person can act on,
 * the underlying cause when there is one, and a hint saying what to do next. Subclasses exist per condition so
 * callers (runner, gateway) can map them with `instanceof` without parsing messages.
 */
export class InferenceError extends TeeTeeError {
  override name: string = "InferenceError";
}

/** A safetensors file whose header or data region is not what the format requires. */
export class SafetensorsFormatError extends InferenceError {
  override name = "SafetensorsFormatError" as const;
}

/** A weight the architecture needs is missing, or has a shape or dtype other than the config implies. */
export class WeightError extends InferenceError {
  override name = "WeightError" as const;
}

/** `config.json` describes an architecture, rope scaling or attention variant this package does not run. */
export class UnsupportedModelError extends InferenceError {
  override name = "UnsupportedModelError" as const;
}

/** A model folder or config file that cannot be read or parsed. */
export class ModelConfigError extends InferenceError {
  override name = "ModelConfigError" as const;
}

/** Layer boundaries or a shard count that do not partition the model's layers. */
export class ShardBoundaryError extends InferenceError {
  override name = "ShardBoundaryError" as const;
}

/** A manifest that fails validation, or shard files whose hashes differ from the manifest. */
export class ManifestError extends InferenceError {
  override name = "ManifestError" as const;
}

/** A forward call whose inputs do not fit the shard or the model (wrong kind, shape, or too many positions). */
export class ForwardInputError extends InferenceError {
  override name = "ForwardInputError" as const;
}

/** The sequence would grow past the model's `max_position_embeddings`. */
export class SequenceTooLongError extends InferenceError {
  override name = "SequenceTooLongError" as const;
}

/** Sampling parameters outside their valid ranges. */
export class SamplingError extends InferenceError {
  override name = "SamplingError" as const;
}

/** Tokenizer or chat-template files that are missing or do not load. */
export class TokenizerError extends InferenceError {
  override name = "TokenizerError" as const;
}

/**
 * A weight format the sharder does not know, a block size it cannot use, or shard files whose stored weights
 * (types, shapes, scales, block size) disagree with the format the manifest declares.
 */
export class WeightFormatError extends InferenceError {
  override name = "WeightFormatError" as const;
}
