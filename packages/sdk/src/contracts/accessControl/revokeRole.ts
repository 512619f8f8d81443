import { modelRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";

export type RevokeRoleParameters = WriteOptions & {
  /** The contract whose role is revoked. */
  address: Address;
  /** A role id from `teeTeeRoles`. */
  role: Hex;
  /** Who loses the role. */
  member: Address;
};

export type RevokeRoleReturnType = Hash;

/**
 * Revokes a role on a TeeTee contract. The sender must hold the role's admin role.
 * @example
 * await revokeRole(adminClient, { address: contracts.staking, role: teeTeeRoles.SLASHER_ROLE, member });
 */
export async function revokeRole(
  client: TeeTeeClient,
  parameters: RevokeRoleParameters,
): Promise<RevokeRoleReturnType> {
  return writeTeeTee(client, parameters, {
    address: parameters.address,
    abi: modelRegistryAbi,
    functionName: "revokeRole",
    args: [parameters.role, parameters.member],
  });
}
