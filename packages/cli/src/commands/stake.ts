import { getStake, stake } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connectWallet } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, parsePositiveAmount } from "../lib/units.js";
import { ensureFundsAndAllowance } from "../lib/wallet.js";

export function registerStake(program: Command, io: CliIo): void {
  program
    .command("stake")
    .description("Contributors: stake payment tokens (approves the staking contract when needed)")
    .argument("<amount>", "payment tokens, e.g. 100")
    .action(async (amountText: string, _options: object, command: Command) => {
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, optionsOf(command));
      const amount = parsePositiveAmount(amountText, ctx.token.decimals);
      await ensureFundsAndAllowance(ctx, ctx.contracts.staking, amount);
      await ctx.send("stake", () => stake(ctx.walletClient, { contracts: ctx.contracts, amount }));
      const info = await getStake(ctx.publicClient, {
        contracts: ctx.contracts,
        staker: ctx.account.address,
      });
      const { decimals, symbol } = ctx.token;
      out.result(
        { staker: ctx.account.address, amount, staked: info.staked, transactions: ctx.transactions },
        [
          ["staked", formatAmount(amount, decimals, symbol)],
          ["total stake", formatAmount(info.staked, decimals, symbol)],
          ["transaction", ctx.transactions.at(-1)?.hash],
        ],
      );
    });
}
