/**
 * How far int8 and int4 shards of the bench model move its logits from fp32, and what they weigh.
 *   tsx packages/inference/scripts/quantError.ts [--block-size 32] [--contexts 8] [--length 32]
 *
 * Random token contexts (seeded) run through the fp32, int8 and int4 shards of the bench model (one shard each);
 * for every position it compares the logits with fp32's: max |Δ|, mean KL(fp32 ‖ format) in nats, top-1
 * agreement. Bytes per parameter are the shard files' bytes (graph and data, alignment padding included) over
 * the model's parameter count, and the quantized matrices' own bytes (codes, scales, zero points) over theirs.
 */
import { parseArgs } from "node:util";
import { compareLogits } from "../src/compareLogits.js";
import { forwardChain } from "../src/generate.js";
import { loadManifest, type Manifest } from "../src/manifest.js";
import { loadModelConfig, type ModelConfig } from "../src/modelConfig.js";
import { globalWeights, layerWeights, type WeightSpec } from "../src/modelWeights.js";
import { createPrng } from "../src/prng.js";
import { quantizedBytes, type WeightsSpec } from "../src/quantize.js";
import { ShardSession } from "../src/ShardSession.js";
import { benchModelDir, benchShardIn } from "./quantModels.js";

const { values } = parseArgs({
  options: {
    "block-size": { type: "string", default: "32" },
    contexts: { type: "string", default: "8" },
    length: { type: "string", default: "32" },
  },
});
const blockSize = Number(values["block-size"]);
const formats: WeightsSpec[] = [
  { format: "fp32" },
  { format: "int8", blockSize },
  { format: "int4", blockSize },
];

const config = loadModelConfig(benchModelDir());
const contexts = randomContexts(Number(values.contexts), Number(values.length), config.vocabSize);
const rows = [];
let fp32: Float32Array | undefined;
for (const weights of formats) {
  const dir = await benchShardIn(weights);
  const manifest = await loadManifest(dir);
  const logits = await logitsOf(dir, manifest);
  fp32 ??= logits;
  const agreement = compareLogits(fp32, logits, config.vocabSize);
  rows.push({
    format: weights.format === "fp32" ? "fp32" : `${weights.format}/${blockSize}`,
    "file bytes/param": round(shardBytes(manifest) / paramCount(config), 4),
    "matrix bytes/weight": round(matrixBytesPerWeight(config, weights), 4),
    "max |Δ logit|": round(agreement.maxAbsDiff, 4),
    "mean KL (nats)": Number(agreement.meanKl.toPrecision(3)),
    "top-1 agreement": round(agreement.top1, 4),
    positions: agreement.positions,
  });
}
console.log(
  `bench model (${(paramCount(config) / 1e6).toFixed(1)}M parameters), ${contexts.length} random contexts × ` +
    `${contexts[0]!.length} tokens, against fp32:`,
);
console.table(rows);

async function logitsOf(dir: string, manifest: Manifest): Promise<Float32Array> {
  const shard = await ShardSession.create({ dir, shardIndex: 0, manifest, verify: false });
  const out = new Float32Array(contexts.length * contexts[0]!.length * config.vocabSize);
  try {
    for (const [i, inputIds] of contexts.entries()) {
      const logits = await forwardChain([shard], { sessionId: `c${i}`, inputIds, logits: "all" });
      out.set(logits, i * logits.length);
      shard.drop(`c${i}`);
    }
  } finally {
    await shard.release();
  }
  return out;
}

function randomContexts(count: number, length: number, vocab: number): number[][] {
  const random = createPrng(2025);
  return Array.from({ length: count }, () => Array.from({ length }, () => Math.floor(random.next() * vocab)));
}

function shardBytes(manifest: Manifest): number {
  return manifest.shards.flatMap((s) => s.files).reduce((n, f) => n + f.bytes, 0);
}

/** The matrices a quantized shard stores quantized: projections, embedding and LM head (once if tied). */
function matrices(c: ModelConfig): WeightSpec[] {
  const globals = globalWeights(c);
  const specs = c.tieWordEmbeddings ? [globals.embed] : [globals.embed, globals.lmHead];
  for (let layer = 0; layer < c.numLayers; layer++) {
    const w = layerWeights(c, layer);
    specs.push(w.q, w.k, w.v, w.o, w.gate, w.up, w.down);
  }
  return specs;
}

function matrixBytesPerWeight(c: ModelConfig, weights: WeightsSpec): number {
  const specs = matrices(c);
  const count = specs.reduce((n, s) => n + s.shape[0]! * s.shape[1]!, 0);
  if (weights.format === "fp32") return 4;
  return specs.reduce((n, s) => n + quantizedBytes(s.shape[0]!, s.shape[1]!, weights), 0) / count;
}

function paramCount(c: ModelConfig): number {
  const matrixParams = matrices(c).reduce((n, s) => n + s.shape[0]! * s.shape[1]!, 0);
  return matrixParams + (2 * c.numLayers + 1) * c.hiddenSize;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
