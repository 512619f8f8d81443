import { paymentEscrowAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetEscrowTreasuryBalanceParameters = ContractTarget<"paymentEscrow"> & ReadOptions;

export type GetEscrowTreasuryBalanceReturnType = bigint;

/**
 * Protocol fees not yet sent to the treasury.
 *
 * Calls `treasuryBalance` on the PaymentEscrow contract.
 * @example
 * const result = await getEscrowTreasuryBalance(publicClient, { contracts });
 */
export async function getEscrowTreasuryBalance(
  client: TeeTeeClient,
  parameters: GetEscrowTreasuryBalanceParameters,
): Promise<GetEscrowTreasuryBalanceReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "treasuryBalance",
    args: [],
  });
}
