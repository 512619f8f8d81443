import { cancelRelease, releaseAllocation, requestRelease } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connectWallet } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { parseRoute, type RouteOptions, readAllocation, routeCommand } from "../lib/route.js";
import { formatAmount, formatTime, parsePositiveAmount } from "../lib/units.js";

export function registerRelease(program: Command, io: CliIo): void {
  routeCommand(program, "release")
    .description(
      "Buyers: with an amount, start releasing it from a route's allocation (it thaws; the route's requests still spend it); without, move what has thawed back to the deposit",
    )
    .argument("[amount]", "payment tokens to start releasing")
    .option("--cancel", "cancel the pending release instead")
    .action(async (amountText: string | undefined, _options: object, command: Command) => {
      const options = optionsOf<RouteOptions & { cancel?: boolean }>(command);
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, options);
      const target = { contracts: ctx.contracts, ...parseRoute(options) };
      const receipt = options.cancel
        ? await ctx.send("cancelRelease", () => cancelRelease(ctx.walletClient, target))
        : amountText === undefined
          ? await ctx.send("release", () => releaseAllocation(ctx.walletClient, target))
          : await ctx.send("requestRelease", () =>
              requestRelease(ctx.walletClient, {
                ...target,
                amount: parsePositiveAmount(amountText, ctx.token.decimals),
              }),
            );
      const allocation = await readAllocation(ctx, target);
      const money = (value: bigint) => formatAmount(value, ctx.token.decimals, ctx.token.symbol);
      out.result({ ...allocation, transaction: receipt.transactionHash }, [
        ["allocated", money(allocation.amount)],
        [
          "releasing",
          allocation.releasing === 0n
            ? "none"
            : `${money(allocation.releasing)} from ${formatTime(allocation.releaseEnd)}`,
        ],
        ["transaction", receipt.transactionHash],
      ]);
    });
}
