import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type IsOsImageAllowedParameters = ContractTarget<"modelRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of a TDX quote (`osImageMeasurement`). */
    osImage: Hex;
  };

export type IsOsImageAllowedReturnType = boolean;

/**
 * Whether runners of a model may boot an OS image (firmware, VM configuration, kernel, command line, initrd).
 *
 * Calls `isOsImageAllowed` on the ModelRegistry contract.
 * @example
 * const result = await isOsImageAllowed(publicClient, { contracts, modelId, osImage });
 */
export async function isOsImageAllowed(
  client: TeeTeeClient,
  parameters: IsOsImageAllowedParameters,
): Promise<IsOsImageAllowedReturnType> {
  const { modelId, osImage } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "isOsImageAllowed",
    args: [modelId, osImage],
  });
}
