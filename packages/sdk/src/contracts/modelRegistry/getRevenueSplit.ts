import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { RevenueSplit } from "../types.js";

export type GetRevenueSplitParameters = ContractTarget<"modelRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
  };

export type GetRevenueSplitReturnType = RevenueSplit;

/**
 * Whether a model is active, its shards' shares and the protocol fee, as the escrow credits payments.
 *
 * Calls `getRevenueSplit` on the ModelRegistry contract.
 * @example
 * const result = await getRevenueSplit(publicClient, { contracts, modelId });
 */
export async function getRevenueSplit(
  client: TeeTeeClient,
  parameters: GetRevenueSplitParameters,
): Promise<GetRevenueSplitReturnType> {
  const { modelId } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "getRevenueSplit",
    args: [modelId],
  });
}
