import { getStake, requestUnstake } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connectWallet } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, formatTime, parsePositiveAmount } from "../lib/units.js";

export function registerUnstake(program: Command, io: CliIo): void {
  program
    .command("unstake")
    .description(
      "Contributors: start unbonding free stake (withdraw it with withdraw-stake after the period)",
    )
    .argument("<amount>", "payment tokens")
    .action(async (amountText: string, _options: object, command: Command) => {
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, optionsOf(command));
      const amount = parsePositiveAmount(amountText, ctx.token.decimals);
      const receipt = await ctx.send("requestUnstake", () =>
        requestUnstake(ctx.walletClient, { contracts: ctx.contracts, amount }),
      );
      const info = await getStake(ctx.publicClient, {
        contracts: ctx.contracts,
        staker: ctx.account.address,
      });
      const { decimals, symbol } = ctx.token;
      out.result(
        {
          staker: ctx.account.address,
          unbonding: info.unbonding,
          unbondingEnd: info.unbondingEnd,
          transaction: receipt.transactionHash,
        },
        [
          ["unbonding", formatAmount(info.unbonding, decimals, symbol)],
          ["withdrawable from", formatTime(info.unbondingEnd)],
          ["transaction", receipt.transactionHash],
        ],
      );
    });
}
