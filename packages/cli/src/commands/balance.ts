import {
  getAvailableBalance,
  getEscrowAccount,
  getSessionSigner,
  getTokenBalance,
} from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf, parseAddress } from "../lib/command.js";
import { connect } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, formatTime } from "../lib/units.js";
import { subjectAddress } from "../lib/wallet.js";

export function registerBalance(program: Command, io: CliIo): void {
  program
    .command("balance")
    .description(
      "Buyers: wallet and escrow balances, a pending withdrawal, and optionally an API key's budget",
    )
    .option("--address <address>", "whose balance (default: the configured key's account)")
    .option("--signer <address>", "also show this session signer's limit, spend and validity")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{ address?: string; signer?: string }>(command);
      const out = outputOf(io, command);
      const buyer = await subjectAddress(io, options);
      const ctx = await connect(io, options);
      const target = { contracts: ctx.contracts };
      const [wallet, account, available] = await Promise.all([
        getTokenBalance(ctx.publicClient, { ...target, owner: buyer }),
        getEscrowAccount(ctx.publicClient, { ...target, buyer }),
        getAvailableBalance(ctx.publicClient, { ...target, buyer }),
      ]);
      const signer =
        options.signer === undefined
          ? undefined
          : await getSessionSigner(ctx.publicClient, {
              ...target,
              buyer,
              signer: parseAddress(options.signer, "signer"),
            });
      const { decimals, symbol } = ctx.token;
      const money = (value: bigint) => formatAmount(value, decimals, symbol);
      out.result({ buyer, wallet, escrow: account, available, ...(signer === undefined ? {} : { signer }) }, [
        ["buyer", buyer],
        ["wallet", money(wallet)],
        ["escrow balance", money(account.balance)],
        ["available", money(available)],
        [
          "thawing",
          account.thawing === 0n ? "none" : `${money(account.thawing)} until ${formatTime(account.thawEnd)}`,
        ],
        ...(signer === undefined
          ? []
          : ([
              ["signer limit", money(signer.spendLimit)],
              ["signer spent", money(signer.spent)],
              ["signer valid until", formatTime(signer.validUntil)],
            ] as const)),
      ]);
    });
}
