import { modelRegistryAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetProtocolFeeBpsParameters = ContractTarget<"modelRegistry"> & ReadOptions;

export type GetProtocolFeeBpsReturnType = number;

/**
 * The protocol's part of every payment, in basis points.
 *
 * Calls `protocolFeeBps` on the ModelRegistry contract.
 * @example
 * const result = await getProtocolFeeBps(publicClient, { contracts });
 */
export async function getProtocolFeeBps(
  client: TeeTeeClient,
  parameters: GetProtocolFeeBpsParameters,
): Promise<GetProtocolFeeBpsReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "protocolFeeBps",
    args: [],
  });
}
