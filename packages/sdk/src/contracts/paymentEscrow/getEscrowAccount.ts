import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { EscrowAccount } from "../types.js";

export type GetEscrowAccountParameters = ContractTarget<"paymentEscrow"> &
  ReadOptions & {
    /** The buyer. */
    buyer: Address;
  };

export type GetEscrowAccountReturnType = EscrowAccount;

/**
 * A buyer's deposit, the part thawing and when it thaws.
 *
 * Calls `getAccount` on the PaymentEscrow contract.
 * @example
 * const result = await getEscrowAccount(publicClient, { contracts, buyer });
 */
export async function getEscrowAccount(
  client: TeeTeeClient,
  parameters: GetEscrowAccountParameters,
): Promise<GetEscrowAccountReturnType> {
  const { buyer } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "getAccount",
    args: [buyer],
  });
}
