import { testTokenAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type MintTestTokenParameters = ContractTarget<"token"> &
  WriteOptions & {
    /** The recipient. */
    to: Address;
    /** Payment-token base units. */
    amount: bigint;
  };

export type MintTestTokenReturnType = Hash;

/**
 * Mints test tokens (the local TestToken only; a real payment token has no open mint).
 *
 * Calls `mint` on the payment token contract.
 * @example
 * const hash = await mintTestToken(walletClient, { contracts, to, amount });
 */
export async function mintTestToken(
  client: TeeTeeClient,
  parameters: MintTestTokenParameters,
): Promise<MintTestTokenReturnType> {
  const { to, amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "token"),
    abi: testTokenAbi,
    functionName: "mint",
    args: [to, amount],
  });
}
