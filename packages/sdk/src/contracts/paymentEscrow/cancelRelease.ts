import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type CancelReleaseParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** The model the route serves. */
    modelId: Hex;
    /** One runner per shard, in order: the route whose vouchers the allocation pays. */
    route: readonly Address[];
  };

export type CancelReleaseReturnType = Hash;

/**
 * Cancels the sender's pending release of an allocation.
 *
 * Calls `cancelRelease` on the PaymentEscrow contract.
 * @example
 * const hash = await cancelRelease(walletClient, { contracts, modelId, route });
 */
export async function cancelRelease(
  client: TeeTeeClient,
  parameters: CancelReleaseParameters,
): Promise<CancelReleaseReturnType> {
  const { modelId, route } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "cancelRelease",
    args: [modelId, route],
  });
}
