import {
  authorizeSigner,
  cancelWithdrawal,
  deposit,
  depositWithPermit,
  getAvailableBalance,
  getEarnings,
  getEscrowAccount,
  getSessionSigner,
  getTokenBalance,
  requestWithdrawal,
  revokeSigner,
  signPermit,
  withdraw,
  withdrawEarnings,
} from "@teetee/sdk/contracts";
import type { Command } from "commander";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { formatApiKey, parseApiKey } from "../lib/apiKey.js";
import { optionsOf, outputOf, parseAddress } from "../lib/command.js";
import { connect, connectWallet, type WalletContext } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, formatTime, parseDuration, parsePositiveAmount } from "../lib/units.js";
import { ensureFundsAndAllowance, subjectAddress } from "../lib/wallet.js";

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

export function registerEscrowCommands(program: Command, io: CliIo): void {
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

  const withdrawCommand = program
    .command("withdraw")
    .description("Withdraw earnings (contributors) or escrow deposits (buyers)");

  withdrawCommand
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

  withdrawCommand
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

  withdrawCommand
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

  const key = program
    .command("key")
    .description("Buyers: API keys (session signers with a spend limit and expiry)");

  key
    .command("create")
    .description("Make a session key, authorise it on-chain and print the API key (shown only once)")
    .requiredOption("--limit <tokens>", "most the key may ever spend, in payment tokens")
    .option("--expires <duration>", "how long it stays valid (e.g. 12h, 30d)", "30d")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{ limit: string; expires: string }>(command);
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, options);
      const spendLimit = parsePositiveAmount(options.limit, ctx.token.decimals, "limit");
      const expiry = BigInt(Math.floor(Date.now() / 1000)) + parseDuration(options.expires, "expiry");
      const sessionKey = generatePrivateKey();
      const signer = privateKeyToAccount(sessionKey).address;
      const receipt = await ctx.send("authorizeSigner", () =>
        authorizeSigner(ctx.walletClient, { contracts: ctx.contracts, signer, spendLimit, expiry }),
      );
      const apiKey = formatApiKey(ctx.account.address, sessionKey);
      out.result(
        {
          apiKey,
          buyer: ctx.account.address,
          signer,
          spendLimit,
          expiry,
          transaction: receipt.transactionHash,
        },
        [
          ["API key", apiKey],
          ["signer", signer],
          ["limit", formatAmount(spendLimit, ctx.token.decimals, ctx.token.symbol)],
          ["expires", formatTime(expiry)],
          ["note", "This is the only time the key is shown: store it now (e.g. TEETEE_API_KEY in .env)."],
        ],
      );
    });

  key
    .command("revoke")
    .description("Revoke an API key; it stops working after the thaw period, so served requests can settle")
    .argument("<signer-or-api-key>", "the signer's address or the API key itself")
    .action(async (target: string, _options: object, command: Command) => {
      const out = outputOf(io, command);
      const signer: Address = target.startsWith("tt_")
        ? privateKeyToAccount(parseApiKey(target).sessionKey).address
        : parseAddress(target, "signer");
      const ctx = await connectWallet(io, optionsOf(command));
      const receipt = await ctx.send("revokeSigner", () =>
        revokeSigner(ctx.walletClient, { contracts: ctx.contracts, signer }),
      );
      const after = await getSessionSigner(ctx.publicClient, {
        contracts: ctx.contracts,
        buyer: ctx.account.address,
        signer,
      });
      out.result({ signer, validUntil: after.validUntil, transaction: receipt.transactionHash }, [
        ["revoked", signer],
        ["stops working at", formatTime(after.validUntil)],
      ]);
    });
}
