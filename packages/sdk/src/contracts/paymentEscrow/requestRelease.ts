import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type RequestReleaseParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** The model the route serves. */
    modelId: Hex;
    /** One runner per shard, in order: the route whose vouchers the allocation pays. */
    route: readonly Address[];
    /** Payment-token base units. */
    amount: bigint;
  };

export type RequestReleaseReturnType = Hash;

/**
 * Starts thawing part of the sender's allocation for a route (replacing any pending release); the route's vouchers still spend it until it is released.
 *
 * Calls `requestRelease` on the PaymentEscrow contract.
 * @example
 * const hash = await requestRelease(walletClient, { contracts, modelId, route, amount });
 */
export async function requestRelease(
  client: TeeTeeClient,
  parameters: RequestReleaseParameters,
): Promise<RequestReleaseReturnType> {
  const { modelId, route, amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "requestRelease",
    args: [modelId, route, amount],
  });
}
