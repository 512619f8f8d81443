import { quoteOsImage } from "@teetee/sdk/attestation";
import { fetchRunnerAttestation, runnerUrl } from "@teetee/sdk/protocol";
import type { Command } from "commander";
import OpenAI from "openai";
import type { Hex } from "viem";
import { optionsOf, outputOf } from "../lib/command.js";
import { CliError, configError, ExitCode, exitCodeOfStatus } from "../lib/errors.js";
import type { CliIo } from "../lib/io.js";
import { runPackage } from "../lib/spawnPackage.js";
import { registerRunnerRegisterCommand } from "./registerRunner.js";
import { registerVerifyCommand } from "./verify.js";

function passThrough(command: Command): string[] {
  return command.args;
}

async function delegate(io: CliIo, name: "runner" | "gateway", command: Command): Promise<void> {
  const options = optionsOf(command);
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (options.rpcUrl !== undefined) env["TEETEE_RPC_URL"] = options.rpcUrl;
  if (options.deployment !== undefined) env["TEETEE_DEPLOYMENT"] = options.deployment;
  const code = await runPackage(name, passThrough(command), env);
  if (code !== 0)
    throw new CliError(`The ${name} exited with code ${code}.`, { exitCode: ExitCode.unexpected });
}

/** The quote's SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2), what `model allow-os` takes; read from the quote itself. */
function osImageOf(quote: Hex): string {
  try {
    return quoteOsImage(quote);
  } catch {
    return "none: the quote carries no TD report";
  }
}

export function registerServiceCommands(program: Command, io: CliIo): void {
  const runner = program.command("runner").description("Operators: run, register and inspect shard runners");

  runner
    .command("start")
    .description(
      "Run one shard's runner on this machine (flags are passed to the runner; see `runner start -- --help`)",
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (_options: object, command: Command) => delegate(io, "runner", command));

  registerRunnerRegisterCommand(runner, io);

  runner
    .command("attestation")
    .description(
      "Print a runner's published attestation document (without verifying it: see `teetee verify`)",
    )
    .argument("<runner-url>")
    .action(async (url: string, _options: object, command: Command) => {
      const out = outputOf(io, command);
      const doc = await fetchRunnerAttestation(url).catch((cause: unknown) => {
        throw new CliError(cause instanceof Error ? cause.message : String(cause), {
          exitCode: ExitCode.network,
          cause,
        });
      });
      out.result({ ...doc, manifest: undefined }, [
        ["runner", doc.runner],
        ["model", doc.modelId],
        ["shard", doc.shardIndex],
        ["weights hash", doc.weightsHash],
        ["chain", doc.chainId],
        ["registry", doc.runnerRegistry],
        ["compose hash (claimed)", doc.composeHash ?? "not given"],
        ["OS image (of the quote)", osImageOf(doc.quote)],
        ["quote hash", doc.quoteHash],
        ["quote", `${(doc.quote.length - 2) / 2} bytes`],
        ["document", runnerUrl(url, "/v1/attestation")],
      ]);
    });

  registerVerifyCommand(program, io);

  const gateway = program.command("gateway").description("The OpenAI-compatible gateway");
  gateway
    .command("start")
    .description(
      "Run a gateway on this machine (flags are passed to the gateway; see `gateway start -- --help`)",
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (_options: object, command: Command) => delegate(io, "gateway", command));

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
