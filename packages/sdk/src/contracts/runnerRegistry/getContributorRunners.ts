import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { RunnerView } from "../types.js";

export type GetContributorRunnersParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The contributor. */
    contributor: Address;
    /** Index of the first runner. Defaults to `0n`. */
    offset?: bigint;
    /** Most runners to return. Defaults to `100n`. */
    limit?: bigint;
  };

export type GetContributorRunnersReturnType = { runners: readonly RunnerView[]; total: bigint };

/**
 * Runners ever registered by a contributor, in registration order, one page at a time.
 *
 * Calls `getContributorRunners` on the RunnerRegistry contract.
 * @example
 * const result = await getContributorRunners(publicClient, { contracts, contributor });
 */
export async function getContributorRunners(
  client: TeeTeeClient,
  parameters: GetContributorRunnersParameters,
): Promise<GetContributorRunnersReturnType> {
  const { contributor, offset = 0n, limit = 100n } = parameters;
  const [runners, total] = await readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "getContributorRunners",
    args: [contributor, offset, limit],
  });
  return { runners, total };
}
