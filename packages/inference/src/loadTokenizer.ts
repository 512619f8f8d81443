import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TokenizerError } from "./errors.js";
import { TOKENIZER_FILE_NAMES, Tokenizer, type TokenizerFiles } from "./tokenizer.js";

/**
 * Loads a tokenizer from a model folder or a shard folder (the sharder copies these files): `tokenizer.json`, and
 * where present `tokenizer_config.json` and `generation_config.json`.
 *
 * @example
 * const tokenizer = loadTokenizer("shards/");
 * tokenizer.decode(tokenizer.encode("Hello"));
 */
export function loadTokenizer(dir: string): Tokenizer {
  const read = (name: string, required: boolean): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(readFileSync(join(dir, name), "utf8"));
    } catch (cause) {
      if (!required && (cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new TokenizerError(`cannot load ${name} from ${dir}`, { cause });
    }
  };
  const files: TokenizerFiles = { tokenizer: read(TOKENIZER_FILE_NAMES.tokenizer, true)! };
  const config = read(TOKENIZER_FILE_NAMES.config, false);
  const generationConfig = read(TOKENIZER_FILE_NAMES.generationConfig, false);
  if (config !== undefined) files.config = config;
  if (generationConfig !== undefined) files.generationConfig = generationConfig;
  return Tokenizer.fromFiles(files, dir);
}
