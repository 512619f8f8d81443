import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type IsActiveContributorParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** The account. */
    account: Address;
  };

export type IsActiveContributorReturnType = boolean;

/**
 * Whether an account has a routable runner on a model (active, backed by its own stake lock, attested within the
 * model's TTL, under an allowed compose hash), and so uses the model free of charge while that holds.
 *
 * Calls `isActiveContributor` on the RunnerRegistry contract.
 * @example
 * const result = await isActiveContributor(publicClient, { contracts, modelId, account });
 */
export async function isActiveContributor(
  client: TeeTeeClient,
  parameters: IsActiveContributorParameters,
): Promise<IsActiveContributorReturnType> {
  const { modelId, account } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "isActiveContributor",
    args: [modelId, account],
  });
}
