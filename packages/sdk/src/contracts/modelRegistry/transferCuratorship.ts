import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type TransferCuratorshipParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** The next curator. */
    newCurator: Address;
  };

export type TransferCuratorshipReturnType = Hash;

/**
 * Hands a model to another curator. Curator only.
 *
 * Calls `transferCuratorship` on the ModelRegistry contract.
 * @example
 * const hash = await transferCuratorship(walletClient, { contracts, modelId, newCurator });
 */
export async function transferCuratorship(
  client: TeeTeeClient,
  parameters: TransferCuratorshipParameters,
): Promise<TransferCuratorshipReturnType> {
  const { modelId, newCurator } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "transferCuratorship",
    args: [modelId, newCurator],
  });
}
