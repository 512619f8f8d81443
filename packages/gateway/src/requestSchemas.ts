import { z } from "zod";

const stop = z
  .union([z.string().min(1), z.array(z.string().min(1)).max(4)], {
    error: "at most 4 stop strings, each a non-empty string.",
  })
  .nullish();

/** Sampling and length parameters both endpoints share. */
const common = {
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .nullish(),
  stop,
  n: z.literal(1, { error: "Only n=1 is supported." }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullish(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  /** Accepted only at their neutral values. */
  presence_penalty: z.literal(0, { error: "presence_penalty is not supported (only 0)." }).nullish(),
  frequency_penalty: z.literal(0, { error: "frequency_penalty is not supported (only 0)." }).nullish(),
  logprobs: z.union([z.literal(false), z.null()], { error: "logprobs are not supported." }).optional(),
};

const textPart = z.object({
  type: z.literal("text", { error: "Only text content parts are supported." }),
  text: z.string(),
});

const message = z.object({
  role: z.enum(["system", "developer", "user", "assistant"], {
    error: "Roles are system, developer, user or assistant.",
  }),
  content: z.union([z.string(), z.array(textPart).min(1)]),
  name: z.string().optional(),
});

/** `POST /v1/chat/completions`; unknown parameters are refused by name rather than ignored. */
export const chatCompletionRequestSchema = z
  .object({
    ...common,
    messages: z.array(message).min(1),
    max_tokens: z.number().int().min(1).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    top_logprobs: z.literal(0, { error: "top_logprobs is not supported." }).nullish(),
  })
  .strict();

/** `POST /v1/completions`. */
export const completionRequestSchema = z
  .object({
    ...common,
    prompt: z.union([z.string(), z.array(z.string()).length(1), z.array(z.number().int().min(0)).min(1)], {
      error:
        "a string, one string in an array, or an array of token ids; several prompts per request are not supported.",
    }),
    max_tokens: z.number().int().min(1).nullish(),
    echo: z.literal(false, { error: "echo is not supported." }).nullish(),
    suffix: z.null({ error: "suffix is not supported." }).optional(),
    best_of: z.literal(1, { error: "Only best_of=1 is supported." }).nullish(),
  })
  .strict();

export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
export type CompletionRequest = z.output<typeof completionRequestSchema>;

/** Flattens a message's content parts into text. */
export function messageText(content: ChatCompletionRequest["messages"][number]["content"]): string {
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}

/** The stop strings of a request as a list. */
export function stopStrings(value: string | string[] | null | undefined): string[] {
  if (value === null || value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}
