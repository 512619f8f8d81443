import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { type ChatMessage, renderChatTemplate } from "./chatTemplate.js";
import { TokenizerError } from "./errors.js";

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
function eosTokenIds(generationConfig: Record<string, unknown>, dir: string): number[] {
  const value = generationConfig["eos_token_id"] ?? [];
  const ids = Array.isArray(value) ? value : [value];
  if (!ids.every((id) => Number.isInteger(id) && id >= 0)) {
    throw new TokenizerError(
      `generation_config.json in ${dir} has eos_token_id ${JSON.stringify(value)}; it must be a token id or a list of them`,
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

  /**
   * Loads from a model folder or a shard folder (the sharder copies these files): `tokenizer.json`, and where
   * present `tokenizer_config.json` and `generation_config.json`.
   */
  static fromDir(dir: string): Tokenizer {
    const read = (name: string, required: boolean): Record<string, unknown> => {
      try {
        return JSON.parse(readFileSync(join(dir, name), "utf8"));
      } catch (cause) {
        if (!required && (cause as NodeJS.ErrnoException).code === "ENOENT") return {};
        throw new TokenizerError(`cannot load ${name} from ${dir}`, { cause });
      }
    };
    const json = read("tokenizer.json", true);
    const config = read("tokenizer_config.json", false);
    const generationEosIds = eosTokenIds(read("generation_config.json", false), dir);
    try {
      return new Tokenizer(new HfTokenizer(json, config), config, generationEosIds);
    } catch (cause) {
      throw new TokenizerError(
        `tokenizer.json in ${dir} is not a tokenizer @huggingface/tokenizers can load`,
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
