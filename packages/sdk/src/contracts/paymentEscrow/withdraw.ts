import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type WithdrawParameters = ContractTarget<"paymentEscrow"> & WriteOptions;

export type WithdrawReturnType = Hash;

/**
 * Sends the thawed amount (at most the current balance) once the thaw period has passed.
 *
 * Calls `withdraw` on the PaymentEscrow contract.
 * @example
 * const hash = await withdraw(walletClient, { contracts });
 */
export async function withdraw(
  client: TeeTeeClient,
  parameters: WithdrawParameters,
): Promise<WithdrawReturnType> {
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "withdraw",
    args: [],
  });
}
