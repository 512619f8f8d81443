export { balancedBoundaries } from "./balancedBoundaries.js";
export { buildShardGraph, type ShardGraph, type ShardGraphParams, TENSOR_NAMES } from "./buildShardGraph.js";
export { type ChatMessage, type RenderChatTemplateParams, renderChatTemplate } from "./chatTemplate.js";
export { checkShardFormat } from "./checkShardFormat.js";
export { compareLogits, type LogitAgreement } from "./compareLogits.js";
export {
  ForwardInputError,
  InferenceError,
  ManifestError,
  ModelConfigError,
  SafetensorsFormatError,
  SamplingError,
  SequenceTooLongError,
  ShardBoundaryError,
  TokenizerError,
  UnsupportedModelError,
  WeightError,
  WeightFormatError,
} from "./errors.js";
export {
  type ForwardChainParams,
  forwardChain,
  type GenerateParams,
  type GenerateReturnType,
  generate,
} from "./generate.js";
export {
  defaultKvCacheLayout,
  KV_CACHE_LAYOUTS,
  type KvCacheLayout,
  supportsInPlaceKv,
} from "./kvCacheLayout.js";
export { SafetensorsFile } from "./loadSafetensors.js";
export { loadTokenizer } from "./loadTokenizer.js";
export { type MakeTestModelParams, type MakeTestModelReturnType, makeTestModel } from "./makeTestModel.js";
export {
  type Bytes32,
  canonicalJson,
  kvCacheOf,
  loadManifest,
  MANIFEST_FILE,
  type Manifest,
  type ManifestFile,
  type ManifestShard,
  modelIdOf,
  sha256File,
  weightsHashOf,
} from "./manifest.js";
export {
  type Architecture,
  hasQkNorm,
  loadModelConfig,
  type ModelConfig,
  parseModelConfig,
  type RopeScaling,
  SUPPORTED_ARCHITECTURES,
} from "./modelConfig.js";
export { type ModelTerms, modelParamsOf } from "./modelParams.js";
export { MODEL_PRESETS, type ModelPreset, PRESET_NAMES, type PresetName } from "./modelPresets.js";
export { WeightStore } from "./openWeights.js";
export { createPrng, type Prng, uniformAt } from "./prng.js";
export {
  DEFAULT_BLOCK_SIZE,
  dequantize,
  type QuantizedSpec,
  type QuantizedTensor,
  quantize,
  quantizedBytes,
  WEIGHT_FORMATS,
  type WeightFormat,
  type WeightsSpec,
  weightsSpecOf,
} from "./quantize.js";
export { ReferenceModel } from "./referenceModel.js";
export { defaultShares } from "./revenueShares.js";
export {
  type BatchStepResult,
  type ForwardParams,
  type ForwardReturnType,
  ShardSession,
  type ShardSessionCreateParams,
} from "./ShardSession.js";
export {
  parseHeaderLength,
  parseSafetensorsHeader,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type TensorEntry,
} from "./safetensorsHeader.js";
export { argmax, Sampler, type SamplingParams } from "./sample.js";
export { layerRanges, type ShardModelParams, type ShardModelReturnType, shardModel } from "./shardModel.js";
export {
  TOKENIZER_FILE_NAMES,
  Tokenizer,
  type TokenizerFiles,
  tokenizerFromModelFiles,
} from "./tokenizer.js";
export { verifyShardFiles } from "./verifyShardFiles.js";
export {
  type TensorSource,
  type TensorToWrite,
  writeSafetensors,
  writeSafetensorsStreaming,
} from "./writeSafetensors.js";
