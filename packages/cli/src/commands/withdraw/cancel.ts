import { cancelWithdrawal } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../../lib/command.js";
import { connectWallet } from "../../lib/context.js";
import type { CliIo } from "../../lib/io.js";

export function registerWithdrawCancel(parent: Command, io: CliIo): void {
  parent
    .command("cancel")
    .description("Buyers: cancel a pending withdrawal")
    .action(async (_options: object, command: Command) => {
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, optionsOf(command));
      const receipt = await ctx.send("cancelWithdrawal", () =>
        cancelWithdrawal(ctx.walletClient, { contracts: ctx.contracts }),
      );
      out.result({ transaction: receipt.transactionHash }, "Withdrawal cancelled.");
    });
}
