import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";

export type HasRoleParameters = ReadOptions & {
  /** The contract asked. */
  address: Address;
  /** A role id from `teeTeeRoles`. */
  role: Hex;
  /** The account asked about. */
  member: Address;
};

export type HasRoleReturnType = boolean;

/**
 * Whether an account holds a role on a TeeTee contract.
 * @example
 * const isCurator = await hasRole(publicClient, { address: contracts.modelRegistry, role: teeTeeRoles.CURATOR_ROLE, member });
 */
export async function hasRole(
  client: TeeTeeClient,
  parameters: HasRoleParameters,
): Promise<HasRoleReturnType> {
  return readTeeTee(client, parameters, {
    address: parameters.address,
    abi: modelRegistryAbi,
    functionName: "hasRole",
    args: [parameters.role, parameters.member],
  });
}
