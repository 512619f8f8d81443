import { testTokenAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetTokenAllowanceParameters = ContractTarget<"token"> &
  ReadOptions & {
    /** The owner. */
    owner: Address;
    /** The spender. */
    spender: Address;
  };

export type GetTokenAllowanceReturnType = bigint;

/**
 * What a spender may still pull from an owner.
 *
 * Calls `allowance` on the payment token contract.
 * @example
 * const result = await getTokenAllowance(publicClient, { contracts, owner, spender });
 */
export async function getTokenAllowance(
  client: TeeTeeClient,
  parameters: GetTokenAllowanceParameters,
): Promise<GetTokenAllowanceReturnType> {
  const { owner, spender } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "token"),
    abi: testTokenAbi,
    functionName: "allowance",
    args: [owner, spender],
  });
}
