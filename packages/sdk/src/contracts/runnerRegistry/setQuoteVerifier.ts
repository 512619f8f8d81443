import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SetQuoteVerifierParameters = ContractTarget<"runnerRegistry"> &
  WriteOptions & {
    /** An IQuoteVerifier, or the zero address. */
    verifier: Address;
  };

export type SetQuoteVerifierReturnType = Hash;

/**
 * Sets the on-chain quote verifier; the zero address turns it off. DEFAULT_ADMIN_ROLE only.
 *
 * Calls `setQuoteVerifier` on the RunnerRegistry contract.
 * @example
 * const hash = await setQuoteVerifier(walletClient, { contracts, verifier });
 */
export async function setQuoteVerifier(
  client: TeeTeeClient,
  parameters: SetQuoteVerifierParameters,
): Promise<SetQuoteVerifierReturnType> {
  const { verifier } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "setQuoteVerifier",
    args: [verifier],
  });
}
