import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { Model } from "../types.js";

export type GetModelParameters = ContractTarget<"modelRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
  };

export type GetModelReturnType = Model;

/**
 * A model as stored. Reverts with `ModelNotFound` for an unknown id.
 *
 * Calls `getModel` on the ModelRegistry contract.
 * @example
 * const result = await getModel(publicClient, { contracts, modelId });
 */
export async function getModel(
  client: TeeTeeClient,
  parameters: GetModelParameters,
): Promise<GetModelReturnType> {
  const { modelId } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "getModel",
    args: [modelId],
  });
}
