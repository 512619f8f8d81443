import { createHash, type Hash } from "node:crypto";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type onnxProto from "onnx-proto";
import { buildShardGraph } from "./buildShardGraph.js";
import { ShardBoundaryError, TokenizerError } from "./errors.js";
import { defaultKvCacheLayout, type KvCacheLayout } from "./kvCacheLayout.js";
import {
  type Bytes32,
  describeFile,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type Manifest,
  type ManifestFile,
  modelIdOf,
  weightsHashOf,
} from "./manifest.js";
import { loadModelConfig, type ModelConfig } from "./modelConfig.js";
import { globalWeights, layerWeights, type WeightSpec } from "./modelWeights.js";
import { onnx } from "./onnxGraph.js";
import { WeightStore } from "./openWeights.js";
import { createProgress, type Progress } from "./progress.js";
import {
  DEFAULT_BLOCK_SIZE,
  type QuantizedTensor,
  quantize,
  type WeightsSpec,
  weightsSpecOf,
} from "./quantize.js";
import { quantizedPartBytes, type WeightPart } from "./quantizedOps.js";
import { TOKENIZER_FILE_NAMES } from "./tokenizer.js";

export type ShardModelParams = {
  /** A Hugging Face model folder: config.json, *.safetensors (optionally with an index), tokenizer files. */
  modelDir: string;
  /** Created if missing; receives the shard graphs, their external data, the tokenizer files and manifest.json. */
  outDir: string;
  /**
   * The first layer of every shard after the first, strictly increasing within (0, num_hidden_layers):
   * `[2]` on a 4-layer model gives layers [0, 2) and [2, 4). Exclusive with `shardCount`.
   */
  boundaries?: number[];
  /** Split into this many shards of as equal a layer count as possible (earlier shards take the remainder). */
  shardCount?: number;
  /**
   * How the weight matrices are stored: `fp32` (default), or block-wise `int8` / `int4` run by onnxruntime's
   * `MatMulNBits` and `GatherBlockQuantized`. Norms and biases stay fp32. A string so CLI input can be passed
   * as is: an unknown one is a `WeightFormatError`.
   */
  format?: string;
  /** Weights per quantization block along each row (int8 and int4 only; default 32); must divide every K. */
  blockSize?: number;
  /**
   * The graphs' KV cache layout (see `KvCacheLayout`): `inPlace` (default where head_dim is a multiple of 16) or
   * `concat`, the layout kept for other head sizes and for comparison.
   */
  kvCache?: KvCacheLayout;
  /** No progress bar (it is only ever drawn on a terminal). */
  quiet?: boolean;
};

export type ShardModelReturnType = { manifest: Manifest; modelId: Bytes32 };

/**
 * Files copied from the model folder when present (generation_config.json for its stop tokens); tokenizer.json is
 * required because shard 0 and the gateway need it.
 */
const TOKENIZER_FILES = Object.values(TOKENIZER_FILE_NAMES);
/** External data offsets aligned to the page size let onnxruntime memory-map large initializers. */
const DATA_ALIGNMENT = 4096;

/**
 * Shards a Hugging Face Llama-family model into per-layer-range ONNX graphs with external-data weights (fp32, or
 * block-wise int8 / int4) and writes `manifest.json`, which records the weight format. The model id is the SHA-256
 * of the manifest's canonical JSON (see `modelIdOf`), so it covers the format and block size too.
 *
 * @example
 * const { modelId } = await shardModel({ modelDir: "TinyLlama-1.1B-Chat-v1.0", outDir: "shards", shardCount: 2 });
 * await shardModel({ modelDir: "TinyLlama-1.1B-Chat-v1.0", outDir: "shards-int4", shardCount: 4, format: "int4" });
 */
export async function shardModel(params: ShardModelParams): Promise<ShardModelReturnType> {
  const config = loadModelConfig(params.modelDir);
  const ranges = layerRanges(config.numLayers, params);
  const weights = weightsSpecOf(params.format ?? "fp32", params.blockSize ?? DEFAULT_BLOCK_SIZE);
  const kvCache = params.kvCache ?? defaultKvCacheLayout(config);
  const graphs = ranges.map(([layerStart, layerEnd]) =>
    buildShardGraph({ config, layerStart, layerEnd, weights, kvCache }),
  );
  const store = WeightStore.open(params.modelDir);
  try {
    checkAllWeights(store, config);
    mkdirSync(params.outDir, { recursive: true });
    const tokenizer = await copyTokenizer(params.modelDir, params.outDir);
    const progress = createProgress(
      graphs.reduce((n, g) => n + g.externalWeights.length, 0),
      "Sharding",
      params.quiet,
    );
    const shards: Manifest["shards"] = [];
    try {
      for (const [index, graph] of graphs.entries()) {
        const [layerStart, layerEnd] = ranges[index]!;
        const files = writeShard(tensorBytes(store, weights), params.outDir, index, graph, progress);
        shards.push({
          index,
          layerStart,
          layerEnd,
          embedsTokens: index === 0,
          hasLmHead: index === graphs.length - 1,
          graph: files[0]!.path,
          files,
          weightsHash: weightsHashOf(files),
        });
      }
    } finally {
      progress.stop();
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      architecture: config.architecture,
      hiddenSize: config.hiddenSize,
      dtype: "float32",
      weights,
      kvCache,
      config,
      tokenizer,
      shards,
    };
    writeFileSync(join(params.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return { manifest, modelId: modelIdOf(manifest) };
  } finally {
    store.close();
  }
}

/** Validates boundaries (or derives them from a shard count) into half-open layer ranges. */
export function layerRanges(
  numLayers: number,
  { boundaries, shardCount }: Pick<ShardModelParams, "boundaries" | "shardCount">,
): [number, number][] {
  if ((boundaries === undefined) === (shardCount === undefined)) {
    throw new ShardBoundaryError("pass exactly one of boundaries or shardCount");
  }
  const starts = boundaries ?? evenBoundaries(numLayers, shardCount!);
  starts.forEach((start, i) => {
    const previous = i === 0 ? 0 : starts[i - 1]!;
    if (!Number.isInteger(start) || start <= previous || start >= numLayers) {
      throw new ShardBoundaryError(`layer boundary ${start} is out of range`, {
        hint: `Boundaries must be strictly increasing integers between 1 and ${numLayers - 1} (the model has ${numLayers} layers).`,
      });
    }
  });
  const edges = [0, ...starts, numLayers];
  return edges.slice(1).map((end, i) => [edges[i]!, end]);
}

function evenBoundaries(numLayers: number, shardCount: number): number[] {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > numLayers) {
    throw new ShardBoundaryError(`shard count ${shardCount} is out of range`, {
      hint: `Use between 1 and ${numLayers} shards (one layer at least per shard).`,
    });
  }
  const base = Math.floor(numLayers / shardCount);
  const extra = numLayers % shardCount;
  const starts: number[] = [];
  let next = 0;
  for (let i = 0; i < shardCount - 1; i++) {
    next += base + (i < extra ? 1 : 0);
    starts.push(next);
  }
  return starts;
}

/** Every weight the config implies must exist with its exact shape before any file is written. */
function checkAllWeights(store: WeightStore, config: ModelConfig): void {
  const specs: (WeightSpec | undefined)[] = Object.values(globalWeights(config));
  for (let layer = 0; layer < config.numLayers; layer++)
    specs.push(...Object.values(layerWeights(config, layer)));
  for (const spec of specs) if (spec) store.check(spec.name, spec.shape);
}

async function copyTokenizer(modelDir: string, outDir: string): Promise<Manifest["tokenizer"]> {
  if (!existsSync(join(modelDir, "tokenizer.json"))) {
    throw new TokenizerError(`no tokenizer.json in ${modelDir}`, {
      hint: "Download tokenizer.json with the weights; sentencepiece-only (tokenizer.model) folders are not supported.",
    });
  }
  const files: ManifestFile[] = [];
  for (const name of TOKENIZER_FILES) {
    if (!existsSync(join(modelDir, name))) continue;
    copyFileSync(join(modelDir, name), join(outDir, name));
    files.push(await describeFile(outDir, name));
  }
  return { sha256: files[0]!.sha256, files };
}

type TensorBytes = (spec: WeightSpec, part: WeightPart) => Uint8Array;

/**
 * The bytes of one part of a weight as the shard stores it. One checkpoint tensor is held at a time (widened to
 * fp32, and quantized once for all its parts), so the model is never in memory whole.
 */
function tensorBytes(store: WeightStore, weights: WeightsSpec): TensorBytes {
  let last: { name: string; quantized: QuantizedTensor } | undefined;
  return (spec, part) => {
    if (part === "fp32" || weights.format === "fp32") {
      const values = store.read(spec.name, spec.shape);
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    }
    if (last?.name !== spec.name) {
      const [rows, cols] = spec.shape as [number, number];
      last = { name: spec.name, quantized: quantize(store.read(spec.name, spec.shape), rows, cols, weights) };
    }
    return quantizedPartBytes(last.quantized, part);
  };
}

/**
 * Writes `shard-<i>.onnx.data` (each weight part page-aligned, hashed as it is written so the file is never read
 * back; a part two initializers share is written once) and then `shard-<i>.onnx`, whose initializers point into
 * the data file.
 */
function writeShard(
  bytesOf: TensorBytes,
  outDir: string,
  index: number,
  graph: ReturnType<typeof buildShardGraph>,
  progress: Progress,
): ManifestFile[] {
  const graphName = `shard-${index}.onnx`;
  const dataName = `${graphName}.data`;
  const data = openSync(join(outDir, dataName), "w");
  const hash = createHash("sha256");
  let offset = 0;
  const placed = new Map<string, { offset: number; length: number }>();
  try {
    for (const { spec, part, tensor } of graph.externalWeights) {
      const key = `${spec.name}:${part}`;
      let place = placed.get(key);
      if (!place) {
        offset = writeAligned(data, hash, offset);
        const bytes = bytesOf(spec, part);
        writeAll(data, bytes, offset);
        hash.update(bytes);
        place = { offset, length: bytes.byteLength };
        placed.set(key, place);
        offset += bytes.byteLength;
      }
      pointAt(tensor, dataName, place.offset, place.length);
      progress.tick(tensor.name!);
    }
  } finally {
    closeSync(data);
  }
  const graphBytes = onnx.ModelProto.encode(graph.model).finish();
  writeFileSync(join(outDir, graphName), graphBytes);
  return [
    {
      path: graphName,
      bytes: graphBytes.byteLength,
      sha256: createHash("sha256").update(graphBytes).digest("hex"),
    },
    { path: dataName, bytes: offset, sha256: hash.digest("hex") },
  ];
}

function writeAligned(fd: number, hash: Hash, offset: number): number {
  const padding = (DATA_ALIGNMENT - (offset % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
  if (padding === 0) return offset;
  const zeros = new Uint8Array(padding);
  writeAll(fd, zeros, offset);
  hash.update(zeros);
  return offset + padding;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.byteLength)
    done += writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
}

function pointAt(
  tensor: onnxProto.onnx.ITensorProto,
  location: string,
  offset: number,
  length: number,
): void {
  tensor.externalData = [
    { key: "location", value: location },
    { key: "offset", value: String(offset) },
    { key: "length", value: String(length) },
  ];
}
