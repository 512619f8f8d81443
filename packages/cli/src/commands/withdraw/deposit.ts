import { getEscrowAccount, requestWithdrawal, withdraw } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../../lib/command.js";
import { connectWallet } from "../../lib/context.js";
import type { CliIo } from "../../lib/io.js";
import { formatAmount, formatTime, parsePositiveAmount } from "../../lib/units.js";

export function registerWithdrawDeposit(parent: Command, io: CliIo): void {
  parent
    .command("deposit")
    .description(
      "Buyers: with an amount, start thawing it; without, send what has thawed (vouchers stay redeemable while it thaws)",
    )
    .argument("[amount]", "payment tokens to start thawing")
    .action(async (amountText: string | undefined, _options: object, command: Command) => {
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, optionsOf(command));
      const buyer = ctx.account.address;
      const { decimals, symbol } = ctx.token;
      if (amountText !== undefined) {
        const amount = parsePositiveAmount(amountText, decimals);
        const receipt = await ctx.send("requestWithdrawal", () =>
          requestWithdrawal(ctx.walletClient, { contracts: ctx.contracts, amount }),
        );
        const account = await getEscrowAccount(ctx.publicClient, { contracts: ctx.contracts, buyer });
        out.result(
          { buyer, thawing: account.thawing, thawEnd: account.thawEnd, transaction: receipt.transactionHash },
          [
            ["thawing", formatAmount(account.thawing, decimals, symbol)],
            ["withdrawable from", formatTime(account.thawEnd)],
            ["then run", "teetee withdraw deposit"],
          ],
        );
        return;
      }
      const before = await getEscrowAccount(ctx.publicClient, { contracts: ctx.contracts, buyer });
      const receipt = await ctx.send("withdraw", () =>
        withdraw(ctx.walletClient, { contracts: ctx.contracts }),
      );
      const after = await getEscrowAccount(ctx.publicClient, { contracts: ctx.contracts, buyer });
      const withdrawn = before.balance - after.balance;
      out.result({ buyer, withdrawn, balance: after.balance, transaction: receipt.transactionHash }, [
        ["withdrawn", formatAmount(withdrawn, decimals, symbol)],
        ["escrow balance", formatAmount(after.balance, decimals, symbol)],
      ]);
    });
}
