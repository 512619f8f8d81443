import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { RunnerRegistration } from "../types.js";

export type GetRegistrationDigestParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The registration. */
    registration: RunnerRegistration;
    /** Who registers the runner. */
    contributor: Address;
    /** The runner's current nonce. */
    nonce: bigint;
  };

export type GetRegistrationDigestReturnType = Hex;

/**
 * The EIP-712 digest a runner key signs to consent to a registration, as the contract computes it.
 *
 * Calls `registrationDigest` on the RunnerRegistry contract.
 * @example
 * const result = await getRegistrationDigest(publicClient, { contracts, registration, contributor, nonce });
 */
export async function getRegistrationDigest(
  client: TeeTeeClient,
  parameters: GetRegistrationDigestParameters,
): Promise<GetRegistrationDigestReturnType> {
  const { registration, contributor, nonce } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "registrationDigest",
    args: [registration, contributor, nonce],
  });
}
