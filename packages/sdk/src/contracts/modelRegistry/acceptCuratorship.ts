import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type AcceptCuratorshipParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
  };

export type AcceptCuratorshipReturnType = Hash;

/**
 * Takes over a model whose curator proposed the sender with `transferCuratorship`. Pending curator only.
 *
 * Calls `acceptCuratorship` on the ModelRegistry contract.
 * @example
 * const hash = await acceptCuratorship(newCuratorClient, { contracts, modelId });
 */
export async function acceptCuratorship(
  client: TeeTeeClient,
  parameters: AcceptCuratorshipParameters,
): Promise<AcceptCuratorshipReturnType> {
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "acceptCuratorship",
    args: [parameters.modelId],
  });
}
