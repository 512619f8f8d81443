import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { ModelParams } from "../types.js";

export type RegisterModelParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's manifest hash, prices, stake, TTL, shards and allowed compose hashes. */
    model: ModelParams;
  };

export type RegisterModelReturnType = Hash;

/**
 * Registers a model; the sender (who must hold CURATOR_ROLE) becomes its curator. Shards must cover layers [0, numLayers) in order and their shares plus the protocol fee must add up to 10,000 bps.
 *
 * Calls `registerModel` on the ModelRegistry contract.
 * @example
 * const hash = await registerModel(walletClient, { contracts, model });
 */
export async function registerModel(
  client: TeeTeeClient,
  parameters: RegisterModelParameters,
): Promise<RegisterModelReturnType> {
  const { model } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "registerModel",
    args: [model],
  });
}
