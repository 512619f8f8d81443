import { getStake, withdrawStake } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connectWallet } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount } from "../lib/units.js";

export function registerWithdrawStake(program: Command, io: CliIo): void {
  program
    .command("withdraw-stake")
    .description("Contributors: withdraw stake whose unbonding period has passed")
    .action(async (_options: object, command: Command) => {
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, optionsOf(command));
      const before = await getStake(ctx.publicClient, {
        contracts: ctx.contracts,
        staker: ctx.account.address,
      });
      const receipt = await ctx.send("withdrawStake", () =>
        withdrawStake(ctx.walletClient, { contracts: ctx.contracts }),
      );
      const { decimals, symbol } = ctx.token;
      out.result(
        { staker: ctx.account.address, withdrawn: before.unbonding, transaction: receipt.transactionHash },
        [
          ["withdrawn", formatAmount(before.unbonding, decimals, symbol)],
          ["transaction", receipt.transactionHash],
        ],
      );
    });
}
