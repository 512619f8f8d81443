import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetAvailableAllocationParameters = ContractTarget<"paymentEscrow"> &
  ReadOptions & {
    /** The allocation's id (`allocationId`). */
    allocationId: Hex;
  };

export type GetAvailableAllocationReturnType = bigint;

/**
 * An allocation less what is releasing: what the route's runners may count on.
 *
 * Calls `availableAllocation` on the PaymentEscrow contract.
 * @example
 * const result = await getAvailableAllocation(publicClient, { contracts, allocationId });
 */
export async function getAvailableAllocation(
  client: TeeTeeClient,
  parameters: GetAvailableAllocationParameters,
): Promise<GetAvailableAllocationReturnType> {
  const { allocationId } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "availableAllocation",
    args: [allocationId],
  });
}
