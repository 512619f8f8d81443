import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetPendingCuratorParameters = ContractTarget<"modelRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
  };

export type GetPendingCuratorReturnType = Address;

/**
 * The curator a model's curator proposed and who has not yet accepted; the zero address when none.
 *
 * Calls `pendingCurator` on the ModelRegistry contract.
 * @example
 * const pending = await getPendingCurator(publicClient, { contracts, modelId });
 */
export async function getPendingCurator(
  client: TeeTeeClient,
  parameters: GetPendingCuratorParameters,
): Promise<GetPendingCuratorReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "pendingCurator",
    args: [parameters.modelId],
  });
}
