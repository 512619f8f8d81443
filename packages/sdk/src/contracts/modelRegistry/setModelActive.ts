import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SetModelActiveParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** The new state. */
    active: boolean;
  };

export type SetModelActiveReturnType = Hash;

/**
 * Activates or deactivates a model; a deactivated model takes no new runners and no new channels.
 *
 * Calls `setActive` on the ModelRegistry contract.
 * @example
 * const hash = await setModelActive(walletClient, { contracts, modelId, active });
 */
export async function setModelActive(
  client: TeeTeeClient,
  parameters: SetModelActiveParameters,
): Promise<SetModelActiveReturnType> {
  const { modelId, active } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "setActive",
    args: [modelId, active],
  });
}
