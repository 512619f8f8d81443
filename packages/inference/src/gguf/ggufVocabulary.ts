import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GgufError } from "./ggufError.js";
import type { GgufValue } from "./writeGguf.js";

/** llama.cpp's `llama_token_type` values (gguf-py `TokenType`). */
const TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4, unused: 5 } as const;

type TokenizerJson = {
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
  pre_tokenizer?: { type?: string } | null;
  added_tokens?: { id: number; content: string; special: boolean }[];
};

/**
 * The `tokenizer.ggml.*` metadata of a byte-level BPE `tokenizer.json` as llama.cpp's `gpt2` vocabulary: every
 * token's text in id order, its type, and the merges. Ids past the tokenizer up to `vocabSize` (an embedding
 * padded beyond the tokenizer) become unused `[PAD<id>]` tokens, as llama.cpp's converter writes them.
 */
export function ggufVocabulary(modelDir: string, vocabSize: number): Record<string, GgufValue> {
  const json = readJson(join(modelDir, "tokenizer.json")) as TokenizerJson;
  const config = readJson(join(modelDir, "tokenizer_config.json")) as Record<string, unknown>;
  if (json.model?.type !== "BPE" || json.pre_tokenizer?.type !== "ByteLevel") {
    throw new GgufError(
      `tokenizer.json in ${modelDir} is ${json.model?.type} with ${json.pre_tokenizer?.type} pre-tokenization; only byte-level BPE maps to llama.cpp's gpt2 vocabulary`,
    );
  }
  const tokens: (string | undefined)[] = new Array(vocabSize);
  const types: number[] = new Array(vocabSize).fill(TOKEN_TYPE.normal);
  const place = (id: number, text: string, type: number) => {
    if (id >= vocabSize) {
      throw new GgufError(`token ${JSON.stringify(text)} has id ${id}, beyond the model's ${vocabSize} rows`);
    }
    tokens[id] = text;
    types[id] = type;
  };
  for (const [text, id] of Object.entries(json.model.vocab ?? {})) place(id, text, TOKEN_TYPE.normal);
  for (const t of json.added_tokens ?? [])
    place(t.id, t.content, t.special ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined);
  for (let id = 0; id < vocabSize; id++) {
    if (tokens[id] === undefined) place(id, `[PAD${id}]`, TOKEN_TYPE.unused);
  }
  const merges = (json.model.merges ?? []).map((m) => (typeof m === "string" ? m : m.join(" ")));
  const idOf = (key: string): Record<string, GgufValue> => {
    const text = specialTokenText(config[`${key}_token`]);
    const id = text === undefined ? -1 : tokens.indexOf(text);
    return id < 0 ? {} : { [`tokenizer.ggml.${key}_token_id`]: { type: "uint32", value: id } };
  };
  return {
    "tokenizer.ggml.model": { type: "string", value: "gpt2" },
    "tokenizer.ggml.pre": { type: "string", value: "gpt-2" },
    "tokenizer.ggml.tokens": { type: "string[]", value: tokens as string[] },
    "tokenizer.ggml.token_type": { type: "int32[]", value: types },
    "tokenizer.ggml.merges": { type: "string[]", value: merges },
    ...idOf("bos"),
    ...idOf("eos"),
    "tokenizer.ggml.add_bos_token": { type: "bool", value: config["add_bos_token"] === true },
  };
}

function specialTokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  const content = (value as { content?: unknown } | null)?.content;
  return typeof content === "string" ? content : undefined;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new GgufError(`cannot read ${path}`, { cause });
  }
}
