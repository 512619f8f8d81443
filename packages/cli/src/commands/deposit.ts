import {
  deposit,
  depositWithPermit,
  getEscrowAccount,
  getTokenBalance,
  signPermit,
} from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connectWallet, type WalletContext } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, parsePositiveAmount } from "../lib/units.js";
import { ensureFundsAndAllowance } from "../lib/wallet.js";

async function depositTokens(ctx: WalletContext, amount: bigint, usePermit: boolean): Promise<void> {
  const { contracts } = ctx;
  if (!usePermit) {
    await ensureFundsAndAllowance(ctx, contracts.paymentEscrow, amount);
    await ctx.send("deposit", () => deposit(ctx.walletClient, { contracts, amount }));
    return;
  }
  const balance = await getTokenBalance(ctx.publicClient, { contracts, owner: ctx.account.address });
  if (balance < amount) await ensureFundsAndAllowance(ctx, contracts.paymentEscrow, amount);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const permit = await signPermit(ctx.walletClient, {
    contracts,
    spender: contracts.paymentEscrow,
    value: amount,
    deadline,
  });
  await ctx.send("depositWithPermit", () =>
    depositWithPermit(ctx.walletClient, { contracts, buyer: ctx.account.address, amount, permit }),
  );
}

export function registerDeposit(program: Command, io: CliIo): void {
  program
    .command("deposit")
    .description("Buyers: deposit payment tokens into escrow (one transaction, with an EIP-2612 permit)")
    .argument("<amount>", "payment tokens, e.g. 50")
    .option("--no-permit", "approve and deposit in two transactions instead of a permit")
    .action(async (amountText: string, _options: object, command: Command) => {
      const options = optionsOf<{ permit: boolean }>(command);
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, options);
      const amount = parsePositiveAmount(amountText, ctx.token.decimals);
      await depositTokens(ctx, amount, options.permit);
      const account = await getEscrowAccount(ctx.publicClient, {
        contracts: ctx.contracts,
        buyer: ctx.account.address,
      });
      const { decimals, symbol } = ctx.token;
      out.result(
        { buyer: ctx.account.address, amount, balance: account.balance, transactions: ctx.transactions },
        [
          ["deposited", formatAmount(amount, decimals, symbol)],
          ["escrow balance", formatAmount(account.balance, decimals, symbol)],
          ["transaction", ctx.transactions.at(-1)?.hash],
        ],
      );
    });
}
