import {
  allocationId,
  getAllocation,
  getModel,
  getModelIds,
  getRunners,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import { routesOf } from "@teetee/sdk/payments";
import type { Address, Hex, PublicClient } from "viem";

/** One route a buyer can be served on, and what it has set aside for it. */
export type RouteAllocationRow = { modelId: Hex; route: Address[]; amount: bigint; releasing: bigint };

/** Every route the routable runners of the active models make, with the buyer's allocation to each. */
export async function readRouteAllocations(
  client: PublicClient,
  contracts: TeeTeeContracts,
  buyer: Address,
): Promise<RouteAllocationRow[]> {
  const { ids } = await getModelIds(client, { contracts, limit: 50n });
  const perModel = await Promise.all(
    ids.map(async (modelId) => {
      const model = await getModel(client, { contracts, modelId });
      if (!model.active) return [];
      const shards = await Promise.all(
        Array.from({ length: model.shardCount }, (_, shardIndex) =>
          getRunners(client, { contracts, modelId, shardIndex, limit: 20n }),
        ),
      );
      const runners = shards.flatMap(({ runners: list }, shardIndex) =>
        list.filter((r) => r.routable).map((r) => ({ address: r.runner, shardIndex })),
      );
      return Promise.all(
        routesOf(runners).map(async (route) => {
          const id = allocationId({ buyer, modelId, route });
          const { amount, releasing } = await getAllocation(client, { contracts, allocationId: id });
          return { modelId, route, amount, releasing };
        }),
      );
    }),
  );
  return perModel.flat();
}
