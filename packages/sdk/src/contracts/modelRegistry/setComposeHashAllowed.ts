import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SetComposeHashAllowedParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** The dstack compose hash. */
    composeHash: Hex;
    /** Whether runners may run under it. */
    allowed: boolean;
  };

export type SetComposeHashAllowedReturnType = Hash;

/**
 * Allows or disallows a dstack compose hash for new runner registrations and refreshes. Curator only.
 *
 * Calls `setComposeHashAllowed` on the ModelRegistry contract.
 * @example
 * const hash = await setComposeHashAllowed(walletClient, { contracts, modelId, composeHash, allowed });
 */
export async function setComposeHashAllowed(
  client: TeeTeeClient,
  parameters: SetComposeHashAllowedParameters,
): Promise<SetComposeHashAllowedReturnType> {
  const { modelId, composeHash, allowed } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "setComposeHashAllowed",
    args: [modelId, composeHash, allowed],
  });
}
