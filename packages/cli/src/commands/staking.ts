import {
  getContributorRunners,
  getEarnings,
  getFreeStake,
  getStake,
  getUnbondingPeriod,
  requestUnstake,
  stake,
  withdrawStake,
} from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connect, connectWallet } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, formatTime, parsePositiveAmount } from "../lib/units.js";
import { ensureFundsAndAllowance, subjectAddress } from "../lib/wallet.js";

export function registerStakingCommands(program: Command, io: CliIo): void {
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

  program
    .command("runners")
    .description("Contributors: your stake and the runners you registered")
    .option("--address <address>", "whose runners (default: the configured key's account)")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{ address?: string }>(command);
      const out = outputOf(io, command);
      const contributor = await subjectAddress(io, options);
      const ctx = await connect(io, options);
      const target = { contracts: ctx.contracts };
      const [info, free, unbondingPeriod, page] = await Promise.all([
        getStake(ctx.publicClient, { ...target, staker: contributor }),
        getFreeStake(ctx.publicClient, { ...target, staker: contributor }),
        getUnbondingPeriod(ctx.publicClient, target),
        getContributorRunners(ctx.publicClient, { ...target, contributor }),
      ]);
      const runners = page.runners.map(({ runner, info: r }) => ({
        runner,
        modelId: r.modelId,
        shardIndex: r.shardIndex,
        active: r.active,
        endpoint: r.endpoint,
        lockedStake: r.lockedStake,
        attestedAt: r.attestedAt,
        composeHash: r.composeHash,
      }));
      const { decimals, symbol } = ctx.token;
      out.result(
        {
          contributor,
          stake: { ...info, free, unbondingPeriod },
          runners,
          total: page.total,
        },
        [
          ["contributor", contributor],
          ["staked", formatAmount(info.staked, decimals, symbol)],
          ["locked by runners", formatAmount(info.locked, decimals, symbol)],
          ["free", formatAmount(free, decimals, symbol)],
          [
            "unbonding",
            `${formatAmount(info.unbonding, decimals, symbol)} (until ${formatTime(info.unbondingEnd)})`,
          ],
          ["runners", runners.length === 0 ? "none" : runners.length],
          ...runners.map(
            (r) =>
              [
                `  ${r.runner}`,
                `${r.active ? "active" : "inactive"} shard ${r.shardIndex} of ${r.modelId.slice(0, 10)}… at ${r.endpoint}, attested ${formatTime(r.attestedAt)}`,
              ] as const,
          ),
        ],
      );
    });

  program
    .command("earnings")
    .description("Contributors: earnings credited to you and not yet withdrawn")
    .option("--address <address>", "whose earnings (default: the configured key's account)")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{ address?: string }>(command);
      const out = outputOf(io, command);
      const contributor = await subjectAddress(io, options);
      const ctx = await connect(io, options);
      const earnings = await getEarnings(ctx.publicClient, { contracts: ctx.contracts, contributor });
      out.result({ contributor, earnings }, [
        ["contributor", contributor],
        ["earnings", formatAmount(earnings, ctx.token.decimals, ctx.token.symbol)],
      ]);
    });
}
