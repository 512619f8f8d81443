import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type IsComposeHashAllowedParameters = ContractTarget<"modelRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** The dstack compose hash. */
    composeHash: Hex;
  };

export type IsComposeHashAllowedReturnType = boolean;

/**
 * Whether runners of a model may run under a dstack compose hash.
 *
 * Calls `isComposeHashAllowed` on the ModelRegistry contract.
 * @example
 * const result = await isComposeHashAllowed(publicClient, { contracts, modelId, composeHash });
 */
export async function isComposeHashAllowed(
  client: TeeTeeClient,
  parameters: IsComposeHashAllowedParameters,
): Promise<IsComposeHashAllowedReturnType> {
  const { modelId, composeHash } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "isComposeHashAllowed",
    args: [modelId, composeHash],
  });
}
