import { Template } from "@huggingface/jinja";
import { TokenizerError } from "./errors.js";

export type ChatMessage = { role: string; content: string };

export type RenderChatTemplateParams = {
  messages: ChatMessage[];
  /** End with the assistant's turn opener so the model continues as the assistant (default true). */
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
  /** Further template variables (e.g. `tools`), passed through as Transformers' `apply_chat_template` does. */
  extra?: Record<string, unknown>;
};

/**
 * Renders a Hugging Face chat template (Jinja, from `tokenizer_config.json`) with the variables Transformers'
 * `apply_chat_template` provides: `messages`, `add_generation_prompt`, `bos_token`, `eos_token`.
 */
export function renderChatTemplate(template: string, params: RenderChatTemplateParams): string {
  try {
    return new Template(template).render({
      ...params.extra,
      messages: params.messages,
      add_generation_prompt: params.addGenerationPrompt ?? true,
      bos_token: params.bosToken ?? "",
      eos_token: params.eosToken ?? "",
    });
  } catch (cause) {
    throw new TokenizerError(
      `chat template failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
        hint: "The conversation breaks a rule of the model's template (e.g. roles must alternate), or the template is invalid.",
      },
    );
  }
}
