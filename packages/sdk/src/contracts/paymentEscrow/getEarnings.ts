import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetEarningsParameters = ContractTarget<"paymentEscrow"> &
  ReadOptions & {
    /** The contributor. */
    contributor: Address;
  };

export type GetEarningsReturnType = bigint;

/**
 * A contributor's credited, unwithdrawn earnings.
 *
 * Calls `earnings` on the PaymentEscrow contract.
 * @example
 * const result = await getEarnings(publicClient, { contracts, contributor });
 */
export async function getEarnings(
  client: TeeTeeClient,
  parameters: GetEarningsParameters,
): Promise<GetEarningsReturnType> {
  const { contributor } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "earnings",
    args: [contributor],
  });
}
