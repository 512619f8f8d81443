import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";

export type GrantRoleParameters = WriteOptions & {
  /** The contract whose role is granted (any TeeTee contract: they share OpenZeppelin AccessControl). */
  address: Address;
  /** A role id from `teeTeeRoles`. */
  role: Hex;
  /** Who receives the role. */
  member: Address;
};

export type GrantRoleReturnType = Hash;

/**
 * Grants a role on a TeeTee contract. The sender must hold the role's admin role.
 * @example
 * await grantRole(adminClient, { address: contracts.modelRegistry, role: teeTeeRoles.CURATOR_ROLE, member: curator });
 */
export async function grantRole(
  client: TeeTeeClient,
  parameters: GrantRoleParameters,
): Promise<GrantRoleReturnType> {
  return writeTeeTee(client, parameters, {
    address: parameters.address,
    abi: modelRegistryAbi,
    functionName: "grantRole",
    args: [parameters.role, parameters.member],
  });
}
