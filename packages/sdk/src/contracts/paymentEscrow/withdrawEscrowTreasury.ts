import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type WithdrawEscrowTreasuryParameters = ContractTarget<"paymentEscrow"> & WriteOptions;

export type WithdrawEscrowTreasuryReturnType = Hash;

/**
 * Sends protocol fees held by the escrow to the treasury address.
 *
 * Calls `withdrawTreasury` on the PaymentEscrow contract.
 * @example
 * const hash = await withdrawEscrowTreasury(walletClient, { contracts });
 */
export async function withdrawEscrowTreasury(
  client: TeeTeeClient,
  parameters: WithdrawEscrowTreasuryParameters,
): Promise<WithdrawEscrowTreasuryReturnType> {
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "withdrawTreasury",
    args: [],
  });
}
