import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { type ChatMessage, renderChatTemplate } from "./chatTemplate.js";
import { TokenizerError } from "./errors.js";
import { type Manifest, parseManifest, sha256Hex } from "./manifestFormat.js";

// Browser-safe (`@teetee/inference/tokenizer`): no file system here. `loadTokenizer(dir)` reads a folder in Node;
// a browser fetches the files and checks them against the model id with `tokenizerFromModelFiles`.

/** The parsed JSON of a model's tokenizer files; only `tokenizer.json` is required. */
export type TokenizerFiles = {
  /** tokenizer.json */
  tokenizer: Record<string, unknown>;
  /** tokenizer_config.json: special tokens and the chat template. */
  config?: Record<string, unknown>;
  /** generation_config.json: the stop token ids. */
  generationConfig?: Record<string, unknown>;
};

/** The file each part of `TokenizerFiles` is read from, as the sharder copies them into every shard folder. */
export const TOKENIZER_FILE_NAMES = {
  tokenizer: "tokenizer.json",
  config: "tokenizer_config.json",
  generationConfig: "generation_config.json",
} as const satisfies Record<keyof TokenizerFiles, string>;

/** Special tokens in tokenizer_config.json are strings or `{ content: string }` objects. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { content?: unknown }).content === "string"
  ) {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** generation_config.json's `eos_token_id`: absent, one id, or a list of ids. */
function eosTokenIds(generationConfig: Record<string, unknown>, source: string): number[] {
  const value = generationConfig["eos_token_id"] ?? [];
  const ids = Array.isArray(value) ? value : [value];
  if (!ids.every((id) => Number.isInteger(id) && id >= 0)) {
    throw new TokenizerError(
      `generation_config.json in ${source} has eos_token_id ${JSON.stringify(value)}; it must be a token id or a list of them`,
    );
  }
  return ids as number[];
}

/**
 * A model's tokenizer (`tokenizer.json` through @huggingface/tokenizers) and chat template
 * (`tokenizer_config.json` through @huggingface/jinja).
 */
export class Tokenizer {
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly chatTemplate: string | undefined;

  private constructor(
    private readonly inner: HfTokenizer,
    config: Record<string, unknown>,
    private readonly generationEosIds: number[],
  ) {
    this.bosToken = tokenText(config["bos_token"]);
    this.eosToken = tokenText(config["eos_token"]);
    const template = config["chat_template"];
    this.chatTemplate = typeof template === "string" ? template : undefined;
  }

  /** A tokenizer from its files' parsed JSON; `source` (a folder, a URL) names them in errors. */
  static fromFiles(files: TokenizerFiles, source: string): Tokenizer {
    const config = files.config ?? {};
    const generationEosIds = eosTokenIds(files.generationConfig ?? {}, source);
    try {
      return new Tokenizer(new HfTokenizer(files.tokenizer, config), config, generationEosIds);
    } catch (cause) {
      throw new TokenizerError(
        `tokenizer.json in ${source} is not a tokenizer @huggingface/tokenizers can load`,
        { cause },
      );
    }
  }

  /** Token ids of `text`; special tokens such as BOS are added as the tokenizer's post-processor says. */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.inner.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** Text of `ids`; no ids decode to "" (@huggingface/tokenizers refuses an empty list). */
  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return "";
    return this.inner.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? true });
  }

  tokenId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  /**
   * Ids that end generation: the union of tokenizer_config.json's `eos_token` and generation_config.json's
   * `eos_token_id` (a list for Llama 3 Instruct, whose turns end with `<|eot_id|>`, a token `eos_token` does not
   * name), in that order, without repeats.
   */
  get stopTokenIds(): number[] {
    const id = this.eosToken === undefined ? undefined : this.tokenId(this.eosToken);
    return [...new Set([...(id === undefined ? [] : [id]), ...this.generationEosIds])];
  }

  /** The conversation rendered by the model's chat template. */
  applyChatTemplate(messages: ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
    if (this.chatTemplate === undefined) {
      throw new TokenizerError("tokenizer_config.json has no chat_template", {
        hint: "Use a chat/instruct model, or format the prompt yourself and call encode().",
      });
    }
    return renderChatTemplate(this.chatTemplate, {
      messages,
      addGenerationPrompt: options.addGenerationPrompt ?? true,
      ...(this.bosToken === undefined ? {} : { bosToken: this.bosToken }),
      ...(this.eosToken === undefined ? {} : { eosToken: this.eosToken }),
    });
  }

  /** Renders the conversation and encodes it without adding special tokens again (the template writes them). */
  encodeChat(messages: ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }
}

/**
 * The tokenizer of model `modelId` from files anyone may have served (a gateway, a mirror), trusting none of them:
 * the manifest must hash to the model id (which the buyer reads from the chain or a receipt), and each tokenizer
 * file must have the size and SHA-256 the manifest records. A file that does not is a `TokenizerError` naming it.
 *
 * @example
 * const tokenizer = tokenizerFromModelFiles({ modelId, manifest: await (await fetch(manifestUrl)).json(), files });
 */
export function tokenizerFromModelFiles(parameters: {
  modelId: string;
  /** The parsed manifest.json. */
  manifest: unknown;
  /** Each tokenizer file's bytes by its name in the manifest. */
  files: Readonly<Record<string, Uint8Array>>;
  /** Names the files' origin in errors. */
  source?: string;
}): Tokenizer {
  const source = parameters.source ?? "the served files";
  const manifest = parseManifest(parameters.manifest, `the manifest from ${source}`, {
    expectedModelId: parameters.modelId,
  });
  const parts: Partial<Record<keyof TokenizerFiles, Record<string, unknown>>> = {};
  for (const [part, name] of Object.entries(TOKENIZER_FILE_NAMES) as [keyof TokenizerFiles, string][]) {
    const entry = manifest.tokenizer.files.find((file) => file.path === name);
    if (entry === undefined) continue;
    parts[part] = parseJson(checkedFile(manifest, entry, parameters.files[name], source), name, source);
  }
  if (parts.tokenizer === undefined) {
    throw new TokenizerError(`the manifest of model ${parameters.modelId} lists no tokenizer.json`);
  }
  return Tokenizer.fromFiles(parts as TokenizerFiles, source);
}

function checkedFile(
  manifest: Manifest,
  entry: Manifest["tokenizer"]["files"][number],
  bytes: Uint8Array | undefined,
  source: string,
): Uint8Array {
  if (bytes === undefined) {
    throw new TokenizerError(`${entry.path} is missing from ${source}`, {
      details: `The manifest lists ${manifest.tokenizer.files.map((f) => f.path).join(", ")}.`,
    });
  }
  const sha256 = sha256Hex(bytes);
  if (bytes.length !== entry.bytes || sha256 !== entry.sha256) {
    throw new TokenizerError(`${entry.path} from ${source} is not the file the model's manifest records`, {
      details: `Got ${bytes.length} bytes with SHA-256 ${sha256}; the manifest records ${entry.bytes} bytes with ${entry.sha256}.`,
    });
  }
  return bytes;
}

function parseJson(bytes: Uint8Array, name: string, source: string): Record<string, unknown> {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch (cause) {
    throw new TokenizerError(`${name} from ${source} is not JSON`, { cause });
  }
}
