import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SetOsImageAllowedParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of a TDX quote (`osImageMeasurement`). */
    osImage: Hex;
    /** Whether runners may boot it. */
    allowed: boolean;
  };

export type SetOsImageAllowedReturnType = Hash;

/**
 * Allows or disallows an OS image for new runner registrations and refreshes; runners on a disallowed image are
 * unroutable. Curator only.
 *
 * Calls `setOsImageAllowed` on the ModelRegistry contract.
 * @example
 * const hash = await setOsImageAllowed(walletClient, { contracts, modelId, osImage, allowed });
 */
export async function setOsImageAllowed(
  client: TeeTeeClient,
  parameters: SetOsImageAllowedParameters,
): Promise<SetOsImageAllowedReturnType> {
  const { modelId, osImage, allowed } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "setOsImageAllowed",
    args: [modelId, osImage, allowed],
  });
}
