import { getEarnings, withdrawEarnings } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../../lib/command.js";
import { connectWallet } from "../../lib/context.js";
import type { CliIo } from "../../lib/io.js";
import { formatAmount } from "../../lib/units.js";

export function registerWithdrawEarnings(parent: Command, io: CliIo): void {
  parent
    .command("earnings")
    .description("Contributors: withdraw all credited earnings to your wallet")
    .action(async (_options: object, command: Command) => {
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, optionsOf(command));
      const amount = await getEarnings(ctx.publicClient, {
        contracts: ctx.contracts,
        contributor: ctx.account.address,
      });
      const receipt = await ctx.send("withdrawEarnings", () =>
        withdrawEarnings(ctx.walletClient, { contracts: ctx.contracts }),
      );
      out.result(
        { contributor: ctx.account.address, withdrawn: amount, transaction: receipt.transactionHash },
        [
          ["withdrawn", formatAmount(amount, ctx.token.decimals, ctx.token.symbol)],
          ["transaction", receipt.transactionHash],
        ],
      );
    });
}
