import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SetPricesParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** Price of one million input tokens. */
    inputPricePerMTok: bigint;
    /** Price of one million output tokens. */
    outputPricePerMTok: bigint;
  };

export type SetPricesReturnType = Hash;

/**
 * Sets a model's per-million-token prices, in payment-token base units. Curator only.
 *
 * Calls `setPrices` on the ModelRegistry contract.
 * @example
 * const hash = await setPrices(walletClient, { contracts, modelId, inputPricePerMTok, outputPricePerMTok });
 */
export async function setPrices(
  client: TeeTeeClient,
  parameters: SetPricesParameters,
): Promise<SetPricesReturnType> {
  const { modelId, inputPricePerMTok, outputPricePerMTok } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "setPrices",
    args: [modelId, inputPricePerMTok, outputPricePerMTok],
  });
}
