import { closeSync, cpSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { TokenizerError } from "../src/errors.js";
import { generate } from "../src/generate.js";
import { SafetensorsFile } from "../src/loadSafetensors.js";
import { loadTokenizer } from "../src/loadTokenizer.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { openChain, releaseAll, tempDir } from "./helpers.js";
import { TOKENIZER_FIXTURES, type TokenizerFixture } from "./tokenizerFixtures.js";

const tmp = tempDir("stop-tokens");
afterAll(() => tmp.cleanup());

/** generation_config.json's `eos_token_id` as the Instruct checkpoints ship it. */
const FAMILIES: { fixture: TokenizerFixture; eos: number[]; stop: number[] }[] = [
  // Meta-Llama-3-8B-Instruct: <|end_of_text|> and <|eot_id|>; tokenizer_config.json names only the first.
  { fixture: "llama3", eos: [128001, 128009], stop: [128001, 128009] },
  // Qwen3: <|im_end|> and <|endoftext|>; tokenizer_config.json names <|im_end|>.
  { fixture: "qwen3", eos: [151645, 151643], stop: [151645, 151643] },
];

function modelWithRealTokenizer(name: string, fixture: TokenizerFixture, eos: unknown): string {
  const dir = join(tmp.path, name);
  makeTestModel({
    dir,
    architecture: fixture === "llama3" ? "LlamaForCausalLM" : "Qwen2ForCausalLM",
    seed: 8,
    numLayers: 2,
    tieWordEmbeddings: false,
    tokenizerDir: TOKENIZER_FIXTURES[fixture],
    generationConfig: { eos_token_id: eos },
  });
  return dir;
}

/** Swaps two rows of an F32 matrix in place: an exact permutation of the logits it produces. */
function swapRows(modelDir: string, tensor: string, a: number, b: number): void {
  const path = join(modelDir, "model.safetensors");
  const file = SafetensorsFile.open(path);
  const entry = file.entry(tensor)!;
  file.close();
  const rowBytes = entry.shape[1]! * 4;
  const fd = openSync(path, "r+");
  try {
    const rowA = new Uint8Array(rowBytes);
    const rowB = new Uint8Array(rowBytes);
    readSync(fd, rowA, 0, rowBytes, entry.byteOffset + a * rowBytes);
    readSync(fd, rowB, 0, rowBytes, entry.byteOffset + b * rowBytes);
    writeSync(fd, rowB, 0, rowBytes, entry.byteOffset + a * rowBytes);
    writeSync(fd, rowA, 0, rowBytes, entry.byteOffset + b * rowBytes);
  } finally {
    closeSync(fd);
  }
}

async function greedy(modelDir: string, shardDir: string, maxTokens: number) {
  const shards = await openChain(modelDir, shardDir, [1]);
  try {
    const tokenizer = loadTokenizer(shardDir);
    return await generate({
      shards,
      promptIds: tokenizer.encodeChat([{ role: "user", content: "Hi!" }]),
      maxTokens,
      stopTokens: tokenizer.stopTokenIds,
    });
  } finally {
    await releaseAll(shards);
  }
}

describe.each(FAMILIES)(
  "$fixture tokenizer files with a generation_config.json list",
  ({ fixture, eos, stop }) => {
    const modelDir = join(tmp.path, fixture);
    beforeAll(() => modelWithRealTokenizer(fixture, fixture, eos));

    test("stop tokens are the union of eos_token and every eos_token_id, also from a shard folder", async () => {
      expect(loadTokenizer(modelDir).stopTokenIds).toEqual(stop);
      const shards = await openChain(modelDir, join(tmp.path, `${fixture}-copied`), []);
      await releaseAll(shards);
      expect(loadTokenizer(join(tmp.path, `${fixture}-copied`)).stopTokenIds).toEqual(stop);
    });

    test("generation stops on every eos_token_id", async () => {
      const { tokens } = await greedy(modelDir, join(tmp.path, `${fixture}-free`), 1);
      const first = tokens[0]!;
      expect(stop).not.toContain(first);
      for (const id of eos) {
        const forced = join(tmp.path, `${fixture}-forced-${id}`);
        cpSync(modelDir, forced, { recursive: true });
        swapRows(forced, "lm_head.weight", first, id);
        expect({ id, ...(await greedy(forced, `${forced}-shards`, 8)) }).toEqual({
          id,
          tokens: [id],
          finishReason: "stop",
        });
      }
    });
  },
);

test("a single eos_token_id, and none, are read too; a malformed one is a TokenizerError", () => {
  const dir = join(tmp.path, "single");
  cpSync(TOKENIZER_FIXTURES.llama3, dir, { recursive: true });
  writeFileSync(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: 128009 }));
  expect(loadTokenizer(dir).stopTokenIds).toEqual([128001, 128009]);
  writeFileSync(join(dir, "generation_config.json"), JSON.stringify({ temperature: 0.6 }));
  expect(loadTokenizer(dir).stopTokenIds).toEqual([128001]);
  writeFileSync(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: ["<|eot_id|>"] }));
  expect(() => loadTokenizer(dir)).toThrow(TokenizerError);
  expect(() => loadTokenizer(dir)).toThrow(/eos_token_id \["<\|eot_id\|>"\]/);
});
