import { receiptSlasherAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetEquivocationSlashAmountParameters = ContractTarget<"receiptSlasher"> &
  ReadOptions & {
    /** The runner's address. */
    runner: Address;
  };

export type GetEquivocationSlashAmountReturnType = bigint;

/**
 * What an equivocation report against a runner would ask to slash now: its stake lock, and at least its model's
 * minimum stake (less is taken when the contributor has less).
 *
 * Calls `slashAmount` on the ReceiptSlasher contract.
 * @example
 * const amount = await getEquivocationSlashAmount(publicClient, { contracts, runner });
 */
export async function getEquivocationSlashAmount(
  client: TeeTeeClient,
  parameters: GetEquivocationSlashAmountParameters,
): Promise<GetEquivocationSlashAmountReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "receiptSlasher"),
    abi: receiptSlasherAbi,
    functionName: "slashAmount",
    args: [parameters.runner],
  });
}
