import { receiptSlasherAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type IsEquivocationEvidenceUsedParameters = ContractTarget<"receiptSlasher"> &
  ReadOptions & {
    /** The two receipts' digests, in either order. */
    digests: readonly [Hex, Hex];
  };

export type IsEquivocationEvidenceUsedReturnType = boolean;

/**
 * Whether a pair of receipts was already used to slash (so reporting it again would revert).
 *
 * Calls `evidenceHash` and `isEvidenceUsed` on the ReceiptSlasher contract.
 * @example
 * const used = await isEquivocationEvidenceUsed(publicClient, { contracts, digests: [first, second] });
 */
export async function isEquivocationEvidenceUsed(
  client: TeeTeeClient,
  parameters: IsEquivocationEvidenceUsedParameters,
): Promise<IsEquivocationEvidenceUsedReturnType> {
  const address = resolveAddress(parameters, "receiptSlasher");
  const evidence = await readTeeTee(client, parameters, {
    address,
    abi: receiptSlasherAbi,
    functionName: "evidenceHash",
    args: parameters.digests,
  });
  return readTeeTee(client, parameters, {
    address,
    abi: receiptSlasherAbi,
    functionName: "isEvidenceUsed",
    args: [evidence],
  });
}
