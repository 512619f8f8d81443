import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type IsRoutableParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The runner's address. */
    runner: Address;
  };

export type IsRoutableReturnType = boolean;

/**
 * Whether a runner may be routed to: active, on an active model, its own stake lock still at what it locked,
 * attested within the model's TTL, under a compose hash the model still allows.
 *
 * Calls `isRoutable` on the RunnerRegistry contract.
 * @example
 * const routable = await isRoutable(publicClient, { contracts, runner });
 */
export async function isRoutable(
  client: TeeTeeClient,
  parameters: IsRoutableParameters,
): Promise<IsRoutableReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "isRoutable",
    args: [parameters.runner],
  });
}
