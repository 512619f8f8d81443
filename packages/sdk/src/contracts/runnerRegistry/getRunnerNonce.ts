import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetRunnerNonceParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The runner's address. */
    runner: Address;
  };

export type GetRunnerNonceReturnType = bigint;

/**
 * The nonce the runner key's next signature must carry.
 *
 * Calls `runnerNonce` on the RunnerRegistry contract.
 * @example
 * const result = await getRunnerNonce(publicClient, { contracts, runner });
 */
export async function getRunnerNonce(
  client: TeeTeeClient,
  parameters: GetRunnerNonceParameters,
): Promise<GetRunnerNonceReturnType> {
  const { runner } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "runnerNonce",
    args: [runner],
  });
}
