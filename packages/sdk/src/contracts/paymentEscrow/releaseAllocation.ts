import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type ReleaseAllocationParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** The model the route serves. */
    modelId: Hex;
    /** One runner per shard, in order: the route whose vouchers the allocation pays. */
    route: readonly Address[];
  };

export type ReleaseAllocationReturnType = Hash;

/**
 * Moves a thawed release of the sender's allocation back to its balance (capped by what the route's vouchers left).
 *
 * Calls `release` on the PaymentEscrow contract.
 * @example
 * const hash = await releaseAllocation(walletClient, { contracts, modelId, route });
 */
export async function releaseAllocation(
  client: TeeTeeClient,
  parameters: ReleaseAllocationParameters,
): Promise<ReleaseAllocationReturnType> {
  const { modelId, route } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "release",
    args: [modelId, route],
  });
}
