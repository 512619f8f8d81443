/**
 * Writes a small random-weight Hugging Face model folder, e.g.
 *   tsx packages/inference/scripts/makeTestModel.ts --out /tmp/tiny --arch Qwen2ForCausalLM --layers 6 --dtype BF16
 */
import { parseArgs } from "node:util";
import { makeTestModel } from "../src/makeTestModel.js";
import { type Architecture, SUPPORTED_ARCHITECTURES } from "../src/modelConfig.js";
import type { SafetensorsDtype } from "../src/safetensorsHeader.js";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    arch: { type: "string", default: "LlamaForCausalLM" },
    seed: { type: "string", default: "1" },
    layers: { type: "string", default: "4" },
    hidden: { type: "string", default: "64" },
    heads: { type: "string", default: "4" },
    "kv-heads": { type: "string", default: "2" },
    vocab: { type: "string" },
    dtype: { type: "string", default: "F32" },
    files: { type: "string", default: "1" },
  },
});

if (!values.out) {
  console.error(`usage: makeTestModel.ts --out <dir> [--arch ${SUPPORTED_ARCHITECTURES.join("|")}] [--seed n]
  [--layers n] [--hidden n] [--heads n] [--kv-heads n] [--vocab n] [--dtype F32|F16|BF16] [--files n]`);
  process.exit(2);
}
if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(values.arch)) {
  console.error(`--arch must be one of ${SUPPORTED_ARCHITECTURES.join(", ")}`);
  process.exit(2);
}
if (!["F32", "F16", "BF16"].includes(values.dtype)) {
  console.error("--dtype must be F32, F16 or BF16");
  process.exit(2);
}
const { dir, config } = makeTestModel({
  dir: values.out,
  architecture: values.arch as Architecture,
  seed: Number(values.seed),
  numLayers: Number(values.layers),
  hiddenSize: Number(values.hidden),
  numHeads: Number(values.heads),
  numKvHeads: Number(values["kv-heads"]),
  ...(values.vocab ? { vocabSize: Number(values.vocab) } : {}),
  dtype: values.dtype as SafetensorsDtype,
  safetensorsFiles: Number(values.files),
});
console.log(
  `wrote ${config["architectures"]} (${config["num_hidden_layers"]} layers, hidden ${config["hidden_size"]}) to ${dir}`,
);
