import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type ModelExistsParameters = ContractTarget<"modelRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
  };

export type ModelExistsReturnType = boolean;

/**
 * Whether a model id is registered.
 *
 * Calls `modelExists` on the ModelRegistry contract.
 * @example
 * const result = await modelExists(publicClient, { contracts, modelId });
 */
export async function modelExists(
  client: TeeTeeClient,
  parameters: ModelExistsParameters,
): Promise<ModelExistsReturnType> {
  const { modelId } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "modelExists",
    args: [modelId],
  });
}
