import { paymentEscrowAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetTotalDepositsParameters = ContractTarget<"paymentEscrow"> & ReadOptions;

export type GetTotalDepositsReturnType = bigint;

/**
 * Sum of all buyers' balances.
 *
 * Calls `totalDeposits` on the PaymentEscrow contract.
 * @example
 * const result = await getTotalDeposits(publicClient, { contracts });
 */
export async function getTotalDeposits(
  client: TeeTeeClient,
  parameters: GetTotalDepositsParameters,
): Promise<GetTotalDepositsReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "totalDeposits",
    args: [],
  });
}
