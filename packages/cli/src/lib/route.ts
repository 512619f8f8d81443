import { allocationId, getAllocation } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import type { Address, Hex } from "viem";
import { parseAddress, parseBytes32 } from "./command.js";
import type { WalletContext } from "./context.js";

/** The flags naming one route: `allocate` and `release` both take them. */
export type RouteOptions = { model: string; route: string };

export function parseRoute(options: RouteOptions): { modelId: Hex; route: Address[] } {
  const route = options.route.split(",").map((hop, i) => parseAddress(hop.trim(), `runner of shard ${i}`));
  return { modelId: parseBytes32(options.model, "model id"), route };
}

/** The caller's allocation for a route, with its id. */
export async function readAllocation(ctx: WalletContext, target: { modelId: Hex; route: Address[] }) {
  const id = allocationId({ buyer: ctx.account.address, ...target });
  return { id, ...(await getAllocation(ctx.publicClient, { contracts: ctx.contracts, allocationId: id })) };
}

/** A command that takes `--model` and `--route`: the part of a deposit set aside for one route. */
export function routeCommand(parent: Command, name: string): Command {
  return parent
    .command(name)
    .requiredOption("--model <id>", "the model id (0x + 64 hex digits)")
    .requiredOption(
      "--route <runners>",
      "the route's runner addresses, one per shard in order, comma-separated",
    );
}
