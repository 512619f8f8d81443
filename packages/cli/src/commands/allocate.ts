import { allocate } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connectWallet } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { parseRoute, type RouteOptions, readAllocation, routeCommand } from "../lib/route.js";
import { formatAmount, parsePositiveAmount } from "../lib/units.js";

export function registerAllocate(program: Command, io: CliIo): void {
  routeCommand(program, "allocate")
    .description(
      "Buyers: set part of the deposit aside for one route; its runners serve you only against it, and only its requests spend it",
    )
    .argument("<amount>", "payment tokens, e.g. 10")
    .action(async (amountText: string, _options: object, command: Command) => {
      const options = optionsOf<RouteOptions>(command);
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, options);
      const target = parseRoute(options);
      const amount = parsePositiveAmount(amountText, ctx.token.decimals);
      const receipt = await ctx.send("allocate", () =>
        allocate(ctx.walletClient, { contracts: ctx.contracts, ...target, amount }),
      );
      const allocation = await readAllocation(ctx, target);
      const money = (value: bigint) => formatAmount(value, ctx.token.decimals, ctx.token.symbol);
      out.result({ ...allocation, transaction: receipt.transactionHash }, [
        ["allocation", allocation.id],
        ["allocated", money(allocation.amount)],
        ["transaction", receipt.transactionHash],
      ]);
    });
}
