import { resolve } from "node:path";
import { describe } from "@teetee/errors";
import { loadTokenizer, type Tokenizer } from "@teetee/inference";
import { verifyReceipts } from "@teetee/sdk/receipts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../../lib/command.js";
import { connect } from "../../lib/context.js";
import { CliError, ExitCode, usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";
import { readReceiptBundle } from "./receiptFiles.js";

type ReceiptVerifyOptions = { tokenizer?: string; modelDir?: string; stop?: string[] };

function tokenizerOption({ tokenizer, modelDir }: ReceiptVerifyOptions, io: CliIo): Tokenizer | undefined {
  if (tokenizer !== undefined && modelDir !== undefined) {
    throw usageError("Pass --tokenizer or --model-dir, not both.");
  }
  const dir = tokenizer ?? modelDir;
  if (dir === undefined) return undefined;
  try {
    return loadTokenizer(resolve(io.cwd, dir));
  } catch (cause) {
    throw usageError(describe(cause), "Point it at a folder holding the model's tokenizer.json.");
  }
}

const marks = { pass: "✓", fail: "✗", skip: "-" } as const;

export function registerReceiptVerify(parent: Command, io: CliIo): void {
  parent
    .command("verify")
    .description(
      "Verify an answer's receipt bundle against the chain (links, signers registered and active, tokens, text), printing every check",
    )
    .argument("<file>", "the bundle as JSON, or the gateway's answer carrying it in teetee.receipts")
    .option("--tokenizer <dir>", "a folder with the model's tokenizer.json, to check the text")
    .option("--model-dir <dir>", "the model's (or a shard's) folder, whose tokenizer checks the text")
    .option("--stop <text...>", "the stop sequences the request set")
    .action(async (file: string, _options: object, command: Command) => {
      const options = optionsOf<ReceiptVerifyOptions>(command);
      const out = outputOf(io, command);
      const bundle = readReceiptBundle(io, file);
      const tokenizer = tokenizerOption(options, io);
      const ctx = await connect(io, options);
      const result = await verifyReceipts(ctx.publicClient, {
        bundle,
        contracts: ctx.contracts,
        tokenizer,
        stops: options.stop ?? [],
        fromBlock: BigInt(ctx.deployment.startBlock),
      });
      out.result(
        { id: bundle.id, ...result },
        [
          `Receipts of ${bundle.id} (model ${bundle.modelId}, ${bundle.receipts.length} receipts)`,
          ...result.checks.map((c) => `${marks[c.status]} ${c.title}: ${c.detail}`),
          result.ok ? "VERIFIED" : "NOT VERIFIED",
        ].join("\n"),
      );
      if (!result.ok) {
        throw new CliError(`The receipts of ${bundle.id} failed verification.`, {
          exitCode: ExitCode.verification,
        });
      }
    });
}
