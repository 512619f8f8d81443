import { receiptSlasherAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import type { Receipt } from "../../receipts/receipt.js";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetReceiptDigestParameters = ContractTarget<"receiptSlasher"> &
  ReadOptions & {
    /** The receipt. */
    receipt: Receipt;
  };

export type GetReceiptDigestReturnType = Hex;

/**
 * A receipt's EIP-712 digest as the slashing contract computes it: what its runner signs, equal to
 * `hashReceipt` of `@teetee/sdk/receipts` for the deployment's chain and RunnerRegistry.
 *
 * Calls `receiptDigest` on the ReceiptSlasher contract.
 * @example
 * const digest = await getReceiptDigest(publicClient, { contracts, receipt });
 */
export async function getReceiptDigest(
  client: TeeTeeClient,
  parameters: GetReceiptDigestParameters,
): Promise<GetReceiptDigestReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "receiptSlasher"),
    abi: receiptSlasherAbi,
    functionName: "receiptDigest",
    args: [parameters.receipt],
  });
}
