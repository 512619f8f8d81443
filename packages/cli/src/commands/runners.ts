import { getContributorRunners, getFreeStake, getStake, getUnbondingPeriod } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connect } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, formatTime } from "../lib/units.js";
import { subjectAddress } from "../lib/wallet.js";

export function registerRunners(program: Command, io: CliIo): void {
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
}
