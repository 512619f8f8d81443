import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SetMinStakeParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** Stake per runner, in payment-token base units. */
    minStake: bigint;
  };

export type SetMinStakeReturnType = Hash;

/**
 * Sets the stake each new runner of a model locks; registered runners keep what they locked. Curator only.
 *
 * Calls `setMinStake` on the ModelRegistry contract.
 * @example
 * const hash = await setMinStake(walletClient, { contracts, modelId, minStake });
 */
export async function setMinStake(
  client: TeeTeeClient,
  parameters: SetMinStakeParameters,
): Promise<SetMinStakeReturnType> {
  const { modelId, minStake } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "setMinStake",
    args: [modelId, minStake],
  });
}
