import { receiptSlasherAbi } from "@teetee/contracts/abi";
import type { Hash } from "viem";
import type { SignedReceipt } from "../../receipts/receipt.js";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type ReportEquivocationParameters = ContractTarget<"receiptSlasher"> &
  WriteOptions & {
    /** A signed receipt. */
    first: SignedReceipt;
    /** The same runner's receipt for the same model, shard, session, positions, params and input, with another
     * output. */
    second: SignedReceipt;
  };

export type ReportEquivocationReturnType = Hash;

/**
 * Reports a runner that signed two outputs for the same work: the contract checks both signatures are that
 * runner's, slashes its stake (its lock, at least the model's minimum) and pays the sender its reporter share
 * (the `EquivocationSlashed` event says how much). Anyone may call; each pair slashes once.
 *
 * Calls `reportEquivocation` on the ReceiptSlasher contract.
 * @example
 * const hash = await reportEquivocation(walletClient, { contracts, first, second });
 */
export async function reportEquivocation(
  client: TeeTeeClient,
  parameters: ReportEquivocationParameters,
): Promise<ReportEquivocationReturnType> {
  const { first, second } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "receiptSlasher"),
    abi: receiptSlasherAbi,
    functionName: "reportEquivocation",
    args: [first.receipt, first.signature, second.receipt, second.signature],
  });
}
