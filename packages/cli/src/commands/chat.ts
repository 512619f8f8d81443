import type { Command } from "commander";
import OpenAI from "openai";
import { optionsOf, outputOf } from "../lib/command.js";
import { CliError, configError, ExitCode, exitCodeOfStatus } from "../lib/errors.js";
import type { CliIo } from "../lib/io.js";

export function registerChat(program: Command, io: CliIo): void {
  program
    .command("chat")
    .description("Buyers: send a prompt through a gateway and stream the answer")
    .argument("<prompt...>", "the prompt")
    .option("--gateway <url>", "gateway base URL (default TEETEE_GATEWAY_URL)")
    .option("--api-key-env <name>", "environment variable holding the API key", "TEETEE_API_KEY")
    .option("--model <id>", "model id (default: the gateway's first model)")
    .option("--max-tokens <n>", "most tokens to generate", "64")
    .action(async (prompt: string[], _options: object, command: Command) => {
      const options = optionsOf<{ gateway?: string; apiKeyEnv: string; model?: string; maxTokens: string }>(
        command,
      );
      const out = outputOf(io, command);
      const baseUrl = options.gateway ?? io.env["TEETEE_GATEWAY_URL"];
      if (baseUrl === undefined)
        throw configError("Which gateway? Pass --gateway URL or set TEETEE_GATEWAY_URL.");
      const apiKey = io.env[options.apiKeyEnv];
      if (apiKey === undefined)
        throw configError(`Set ${options.apiKeyEnv} to your API key (teetee key create).`);
      const client = new OpenAI({ baseURL: `${baseUrl.replace(/\/+$/, "")}/v1`, apiKey, maxRetries: 0 });
      try {
        const model = options.model ?? (await client.models.list()).data[0]?.id;
        if (model === undefined) {
          throw new CliError("The gateway serves no model right now.", {
            exitCode: ExitCode.network,
            hint: `No model has a complete route of attested, healthy runners (a shard may be down); ${baseUrl}/readyz says when one has.`,
          });
        }
        const stream = await client.chat.completions.create({
          model,
          messages: [{ role: "user", content: prompt.join(" ") }],
          max_tokens: Number(options.maxTokens),
          stream: true,
          stream_options: { include_usage: true },
        });
        let content = "";
        let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta?.content ?? "";
          content += delta;
          if (!out.json && delta !== "") io.stdout(delta);
          if (chunk.usage) usage = chunk.usage;
        }
        if (out.json) out.result({ model, content, usage }, "");
        else
          io.stdout(
            `\n${usage ? `[${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens]\n` : ""}`,
          );
      } catch (error) {
        if (error instanceof OpenAI.APIConnectionError) {
          throw new CliError(`Cannot reach the gateway at ${baseUrl}.`, {
            exitCode: ExitCode.network,
            cause: error,
          });
        }
        if (error instanceof OpenAI.APIError) {
          const retryAfter = error.headers?.get("retry-after");
          throw new CliError(`The gateway refused: ${error.message}`, {
            exitCode: exitCodeOfStatus(error.status ?? 0),
            hint: retryAfter ? `Retry after ${retryAfter} s.` : undefined,
            cause: error,
          });
        }
        throw error;
      }
    });
}
