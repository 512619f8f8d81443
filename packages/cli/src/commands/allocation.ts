import {
  allocate,
  allocationId,
  cancelRelease,
  getAllocation,
  releaseAllocation,
  requestRelease,
} from "@teetee/sdk/contracts";
import type { Command } from "commander";
import type { Address, Hex } from "viem";
import { optionsOf, outputOf, parseAddress, parseBytes32 } from "../lib/command.js";
import { connectWallet, type WalletContext } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, formatTime, parsePositiveAmount } from "../lib/units.js";

type RouteOptions = { model: string; route: string };

function parseRoute(options: RouteOptions): { modelId: Hex; route: Address[] } {
  const route = options.route.split(",").map((hop, i) => parseAddress(hop.trim(), `runner of shard ${i}`));
  return { modelId: parseBytes32(options.model, "model id"), route };
}

async function readAllocation(ctx: WalletContext, target: { modelId: Hex; route: Address[] }) {
  const id = allocationId({ buyer: ctx.account.address, ...target });
  return { id, ...(await getAllocation(ctx.publicClient, { contracts: ctx.contracts, allocationId: id })) };
}

function routeCommand(parent: Command, name: string): Command {
  return parent
    .command(name)
    .requiredOption("--model <id>", "the model id (0x + 64 hex digits)")
    .requiredOption(
      "--route <runners>",
      "the route's runner addresses, one per shard in order, comma-separated",
    );
}

/** `allocate` and `release`: the part of a deposit set aside for one route, what its runners serve against. */
export function registerAllocationCommands(program: Command, io: CliIo): void {
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
