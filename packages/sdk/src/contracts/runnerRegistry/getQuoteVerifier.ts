import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetQuoteVerifierParameters = ContractTarget<"runnerRegistry"> & ReadOptions;

export type GetQuoteVerifierReturnType = Address;

/**
 * The on-chain quote verifier, or the zero address when off.
 *
 * Calls `quoteVerifier` on the RunnerRegistry contract.
 * @example
 * const result = await getQuoteVerifier(publicClient, { contracts });
 */
export async function getQuoteVerifier(
  client: TeeTeeClient,
  parameters: GetQuoteVerifierParameters,
): Promise<GetQuoteVerifierReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "quoteVerifier",
    args: [],
  });
}
