/**
 * Writes a random-weight Hugging Face model folder, either of a real checkpoint's exact config or of a small
 * shape, e.g.
 *   pnpm exec tsx packages/inference/scripts/makeModel.ts --preset tinyllama-1.1b --out /tmp/tinyllama
 *   pnpm exec tsx packages/inference/scripts/makeModel.ts --preset llama-3.2-1b --layers 2 --out /tmp/llama
 *   pnpm exec tsx packages/inference/scripts/makeModel.ts --out /tmp/tiny --arch Qwen2ForCausalLM --layers 6
 * Weights are drawn and written tensor by tensor; the last line reports the process's peak RSS.
 */
import { parseArgs } from "node:util";
import { makeTestModel } from "../src/makeTestModel.js";
import { type Architecture, SUPPORTED_ARCHITECTURES } from "../src/modelConfig.js";
import { MODEL_PRESETS, PRESET_NAMES, type PresetName } from "../src/modelPresets.js";
import type { SafetensorsDtype } from "../src/safetensorsHeader.js";
import { TOKENIZER_FIXTURES, type TokenizerFixture } from "../test/tokenizerFixtures.js";

/** Presets get their family's real tokenizer where a fixture package ships one (Qwen2.5 shares Qwen3's BPE). */
const PRESET_TOKENIZERS: Record<PresetName, TokenizerFixture | "test"> = {
  "tinyllama-1.1b": "test",
  "llama-3.2-1b": "llama3",
  "qwen2.5-0.5b": "qwen3",
  "qwen3-0.6b": "qwen3",
};

const USAGE = `usage: makeModel.ts --out <dir> [--preset ${PRESET_NAMES.join("|")}] [--layers n] [--vocab n]
  [--tokenizer test|${Object.keys(TOKENIZER_FIXTURES).join("|")}] [--dtype F32|F16|BF16] [--seed n] [--files n]
  without --preset: [--arch ${SUPPORTED_ARCHITECTURES.join("|")}] [--hidden n] [--heads n] [--kv-heads n]`;

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    preset: { type: "string" },
    arch: { type: "string", default: "LlamaForCausalLM" },
    seed: { type: "string", default: "1" },
    layers: { type: "string" },
    hidden: { type: "string", default: "64" },
    heads: { type: "string", default: "4" },
    "kv-heads": { type: "string", default: "2" },
    vocab: { type: "string" },
    tokenizer: { type: "string" },
    dtype: { type: "string" },
    files: { type: "string", default: "1" },
  },
});

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

if (!values.out) fail("--out is required");
if (values.preset !== undefined && !(PRESET_NAMES as string[]).includes(values.preset))
  fail(`--preset must be one of ${PRESET_NAMES.join(", ")}`);
if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(values.arch))
  fail(`--arch must be one of ${SUPPORTED_ARCHITECTURES.join(", ")}`);
const preset = values.preset as PresetName | undefined;
const dtype = values.dtype ?? (preset ? "BF16" : "F32");
if (!["F32", "F16", "BF16"].includes(dtype)) fail("--dtype must be F32, F16 or BF16");
const tokenizer = values.tokenizer ?? (preset ? PRESET_TOKENIZERS[preset] : "test");
if (tokenizer !== "test" && !(tokenizer in TOKENIZER_FIXTURES))
  fail(`--tokenizer must be test or one of ${Object.keys(TOKENIZER_FIXTURES).join(", ")}`);

const { dir, config } = makeTestModel({
  dir: values.out,
  seed: Number(values.seed),
  dtype: dtype as SafetensorsDtype,
  safetensorsFiles: Number(values.files),
  ...(values.layers ? { numLayers: Number(values.layers) } : preset ? {} : { numLayers: 4 }),
  ...(values.vocab ? { vocabSize: Number(values.vocab) } : {}),
  ...(tokenizer === "test" ? {} : { tokenizerDir: TOKENIZER_FIXTURES[tokenizer as TokenizerFixture] }),
  ...(preset
    ? { config: MODEL_PRESETS[preset].config, generationConfig: MODEL_PRESETS[preset].generationConfig }
    : {
        architecture: values.arch as Architecture,
        hiddenSize: Number(values.hidden),
        numHeads: Number(values.heads),
        numKvHeads: Number(values["kv-heads"]),
      }),
});
console.log(
  `wrote ${config["architectures"]} (${config["num_hidden_layers"]} layers, hidden ${config["hidden_size"]}, vocab ${config["vocab_size"]}, ${dtype}) to ${dir}`,
);
console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
