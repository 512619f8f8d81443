import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { RouteAllocation } from "../types.js";

export type GetAllocationParameters = ContractTarget<"paymentEscrow"> &
  ReadOptions & {
    /** The allocation's id (`allocationId`). */
    allocationId: Hex;
  };

export type GetAllocationReturnType = RouteAllocation;

/**
 * An allocation's amount, the part releasing and when that release thaws.
 *
 * Calls `getAllocation` on the PaymentEscrow contract.
 * @example
 * const result = await getAllocation(publicClient, { contracts, allocationId: allocationId({ buyer, modelId, route }) });
 */
export async function getAllocation(
  client: TeeTeeClient,
  parameters: GetAllocationParameters,
): Promise<GetAllocationReturnType> {
  const { allocationId } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "getAllocation",
    args: [allocationId],
  });
}
