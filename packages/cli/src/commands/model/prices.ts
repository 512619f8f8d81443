import { getModel, setPrices } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import type { Hex } from "viem";
import { optionsOf, outputOf, parseBytes32 } from "../../lib/command.js";
import { connect, connectWallet } from "../../lib/context.js";
import { usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";
import { formatAmount, parseAmount } from "../../lib/units.js";

export function registerModelPrices(parent: Command, io: CliIo): void {
  parent
    .command("prices")
    .description("Show a model's prices, or set them (curator only) with --input and --output")
    .argument("<model-id>")
    .option("--input <tokens>", "new price of one million input tokens")
    .option("--output <tokens>", "new price of one million output tokens")
    .action(async (modelIdText: string, _options: object, command: Command) => {
      const options = optionsOf<{ input?: string; output?: string }>(command);
      const out = outputOf(io, command);
      const modelId = parseBytes32(modelIdText, "model id");
      if ((options.input === undefined) !== (options.output === undefined)) {
        throw usageError("Pass both --input and --output to change prices, or neither to show them.");
      }
      let transaction: Hex | undefined;
      let ctx = await connect(io, options);
      if (options.input !== undefined && options.output !== undefined) {
        const wallet = await connectWallet(io, options);
        const input = parseAmount(options.input, wallet.token.decimals, "input price");
        const output = parseAmount(options.output, wallet.token.decimals, "output price");
        const receipt = await wallet.send("setPrices", () =>
          setPrices(wallet.walletClient, {
            contracts: wallet.contracts,
            modelId,
            inputPricePerMTok: input,
            outputPricePerMTok: output,
          }),
        );
        transaction = receipt.transactionHash;
        ctx = wallet;
      }
      const record = await getModel(ctx.publicClient, { contracts: ctx.contracts, modelId });
      const { decimals, symbol } = ctx.token;
      out.result(
        {
          modelId,
          inputPricePerMTok: record.inputPricePerMTok,
          outputPricePerMTok: record.outputPricePerMTok,
          ...(transaction === undefined ? {} : { transaction }),
        },
        [
          ["model", modelId],
          ["input / 1M tokens", formatAmount(record.inputPricePerMTok, decimals, symbol)],
          ["output / 1M tokens", formatAmount(record.outputPricePerMTok, decimals, symbol)],
          ...(transaction === undefined ? [] : [["transaction", transaction] as const]),
        ],
      );
    });
}
