import { testTokenAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetPermitNonceParameters = ContractTarget<"token"> &
  ReadOptions & {
    /** The owner. */
    owner: Address;
  };

export type GetPermitNonceReturnType = bigint;

/**
 * The EIP-2612 nonce an owner's next permit must carry.
 *
 * Calls `nonces` on the payment token contract.
 * @example
 * const result = await getPermitNonce(publicClient, { contracts, owner });
 */
export async function getPermitNonce(
  client: TeeTeeClient,
  parameters: GetPermitNonceParameters,
): Promise<GetPermitNonceReturnType> {
  const { owner } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "token"),
    abi: testTokenAbi,
    functionName: "nonces",
    args: [owner],
  });
}
