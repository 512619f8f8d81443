import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetRouteContributorsParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** One runner per shard, in order. */
    route: readonly Address[];
  };

export type GetRouteContributorsReturnType = readonly Address[];

/**
 * The contributor behind each runner of a route; reverts unless runner i was registered for shard i.
 *
 * Calls `routeContributors` on the RunnerRegistry contract.
 * @example
 * const result = await getRouteContributors(publicClient, { contracts, modelId, route });
 */
export async function getRouteContributors(
  client: TeeTeeClient,
  parameters: GetRouteContributorsParameters,
): Promise<GetRouteContributorsReturnType> {
  const { modelId, route } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "routeContributors",
    args: [modelId, route],
  });
}
