import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetAvailableBalanceParameters = ContractTarget<"paymentEscrow"> &
  ReadOptions & {
    /** The buyer. */
    buyer: Address;
  };

export type GetAvailableBalanceReturnType = bigint;

/**
 * A buyer's balance not thawing: what a runner may count on.
 *
 * Calls `availableBalance` on the PaymentEscrow contract.
 * @example
 * const result = await getAvailableBalance(publicClient, { contracts, buyer });
 */
export async function getAvailableBalance(
  client: TeeTeeClient,
  parameters: GetAvailableBalanceParameters,
): Promise<GetAvailableBalanceReturnType> {
  const { buyer } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "availableBalance",
    args: [buyer],
  });
}
