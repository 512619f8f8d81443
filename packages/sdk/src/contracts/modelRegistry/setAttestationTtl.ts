import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SetAttestationTtlParameters = ContractTarget<"modelRegistry"> &
  WriteOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** Seconds an attestation stays valid after it was recorded. */
    attestationTtl: bigint;
  };

export type SetAttestationTtlReturnType = Hash;

/**
 * Sets how long a runner's attestation of this model stays valid. Curator only.
 *
 * Calls `setAttestationTtl` on the ModelRegistry contract.
 * @example
 * const hash = await setAttestationTtl(walletClient, { contracts, modelId, attestationTtl });
 */
export async function setAttestationTtl(
  client: TeeTeeClient,
  parameters: SetAttestationTtlParameters,
): Promise<SetAttestationTtlReturnType> {
  const { modelId, attestationTtl } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "modelRegistry"),
    abi: modelRegistryAbi,
    functionName: "setAttestationTtl",
    args: [modelId, attestationTtl],
  });
}
