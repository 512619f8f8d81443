import { paymentEscrowAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetTotalEarningsParameters = ContractTarget<"paymentEscrow"> & ReadOptions;

export type GetTotalEarningsReturnType = bigint;

/**
 * Sum of all credited, unwithdrawn earnings.
 *
 * Calls `totalEarnings` on the PaymentEscrow contract.
 * @example
 * const result = await getTotalEarnings(publicClient, { contracts });
 */
export async function getTotalEarnings(
  client: TeeTeeClient,
  parameters: GetTotalEarningsParameters,
): Promise<GetTotalEarningsReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "totalEarnings",
    args: [],
  });
}
