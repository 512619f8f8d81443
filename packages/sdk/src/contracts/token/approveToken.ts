import { testTokenAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type ApproveTokenParameters = ContractTarget<"token"> &
  WriteOptions & {
    /** Who may spend. */
    spender: Address;
    /** Payment-token base units. */
    amount: bigint;
  };

export type ApproveTokenReturnType = Hash;

/**
 * Lets a spender (the staking or escrow contract) pull the sender's payment tokens.
 *
 * Calls `approve` on the payment token contract.
 * @example
 * const hash = await approveToken(walletClient, { contracts, spender, amount });
 */
export async function approveToken(
  client: TeeTeeClient,
  parameters: ApproveTokenParameters,
): Promise<ApproveTokenReturnType> {
  const { spender, amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "token"),
    abi: testTokenAbi,
    functionName: "approve",
    args: [spender, amount],
  });
}
