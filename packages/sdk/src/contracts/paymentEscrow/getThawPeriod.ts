import { paymentEscrowAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetThawPeriodParameters = ContractTarget<"paymentEscrow"> & ReadOptions;

export type GetThawPeriodReturnType = bigint;

/**
 * Seconds a withdrawal (or a signer revocation) waits.
 *
 * Calls `thawPeriod` on the PaymentEscrow contract.
 * @example
 * const result = await getThawPeriod(publicClient, { contracts });
 */
export async function getThawPeriod(
  client: TeeTeeClient,
  parameters: GetThawPeriodParameters,
): Promise<GetThawPeriodReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "thawPeriod",
    args: [],
  });
}
