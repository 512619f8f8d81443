import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetModelIdsParameters = ContractTarget<"modelRegistry"> &
  ReadOptions & {
    /** Index of the first id. Defaults to `0n`. */
    offset?: bigint;
    /** Most ids to return. Defaults to `100n`. */
    limit?: bigint;
  };

export type GetModelIdsReturnType = { ids: readonly Hex[]; total: bigint };

/**
 * Ids of registered models in registration order, one page at a time.
 *
 * Calls `getModelIds` on the ModelRegistry contract.
 * @example
 * const result = await getModelIds(publicClient, { contracts });
 */
export async function getModelIds(
  client: TeeTeeClient,
  parameters: GetModelIdsParameters,
): Promise<GetModelIdsReturnType> {
  const { offset = 0n, limit = 100n } = parameters;
  const [ids, total] = await readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "getModelIds",
    args: [offset, limit],
  });
  return { ids, total };
}
