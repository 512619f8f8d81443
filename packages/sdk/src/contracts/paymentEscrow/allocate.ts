import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type AllocateParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** The model the route serves. */
    modelId: Hex;
    /** One runner per shard, in order: the route whose vouchers the allocation pays. */
    route: readonly Address[];
    /** Payment-token base units. */
    amount: bigint;
  };

export type AllocateReturnType = Hash;

/**
 * Moves part of the sender's available balance into its allocation for one route of a model: only that route's vouchers can spend it, and only a release (which thaws) moves it back. This is what the route's runners count on.
 *
 * Calls `allocate` on the PaymentEscrow contract.
 * @example
 * const hash = await allocate(walletClient, { contracts, modelId, route, amount });
 */
export async function allocate(
  client: TeeTeeClient,
  parameters: AllocateParameters,
): Promise<AllocateReturnType> {
  const { modelId, route, amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "allocate",
    args: [modelId, route, amount],
  });
}
