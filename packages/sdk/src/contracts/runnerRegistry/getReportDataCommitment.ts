import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetReportDataCommitmentParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The model's id (its manifest hash). */
    modelId: Hex;
    /** The shard. */
    shardIndex: number;
    /** The runner. */
    runner: Address;
  };

export type GetReportDataCommitmentReturnType = Hex;

/**
 * The 32 bytes a runner's quote report data must start with, as the contract computes it.
 *
 * Calls `reportDataCommitment` on the RunnerRegistry contract.
 * @example
 * const result = await getReportDataCommitment(publicClient, { contracts, modelId, shardIndex, runner });
 */
export async function getReportDataCommitment(
  client: TeeTeeClient,
  parameters: GetReportDataCommitmentParameters,
): Promise<GetReportDataCommitmentReturnType> {
  const { modelId, shardIndex, runner } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "reportDataCommitment",
    args: [modelId, shardIndex, runner],
  });
}
