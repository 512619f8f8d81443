import { testTokenAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetTokenBalanceParameters = ContractTarget<"token"> &
  ReadOptions & {
    /** The account. */
    owner: Address;
  };

export type GetTokenBalanceReturnType = bigint;

/**
 * An account's payment-token balance.
 *
 * Calls `balanceOf` on the payment token contract.
 * @example
 * const result = await getTokenBalance(publicClient, { contracts, owner });
 */
export async function getTokenBalance(
  client: TeeTeeClient,
  parameters: GetTokenBalanceParameters,
): Promise<GetTokenBalanceReturnType> {
  const { owner } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "token"),
    abi: testTokenAbi,
    functionName: "balanceOf",
    args: [owner],
  });
}
