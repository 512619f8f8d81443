import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetEscrowTreasuryParameters = ContractTarget<"paymentEscrow"> & ReadOptions;

export type GetEscrowTreasuryReturnType = Address;

/**
 * Where protocol fees go.
 *
 * Calls `treasury` on the PaymentEscrow contract.
 * @example
 * const result = await getEscrowTreasury(publicClient, { contracts });
 */
export async function getEscrowTreasury(
  client: TeeTeeClient,
  parameters: GetEscrowTreasuryParameters,
): Promise<GetEscrowTreasuryReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "treasury",
    args: [],
  });
}
