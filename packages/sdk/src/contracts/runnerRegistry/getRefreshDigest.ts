import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetRefreshDigestParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The runner. */
    runner: Address;
    /** keccak256 of the raw quote. */
    quoteHash: Hex;
    /** The compose hash. */
    composeHash: Hex;
    /** The OS image (`osImageMeasurement`). */
    osImage: Hex;
    /** The runner's current nonce. */
    nonce: bigint;
    /** Signature expiry (unix seconds). */
    deadline: bigint;
  };

export type GetRefreshDigestReturnType = Hex;

/**
 * The EIP-712 digest a runner key signs to refresh its attestation, as the contract computes it.
 *
 * Calls `refreshDigest` on the RunnerRegistry contract.
 * @example
 * const result = await getRefreshDigest(publicClient, { contracts, runner, quoteHash, composeHash, osImage, nonce, deadline });
 */
export async function getRefreshDigest(
  client: TeeTeeClient,
  parameters: GetRefreshDigestParameters,
): Promise<GetRefreshDigestReturnType> {
  const { runner, quoteHash, composeHash, osImage, nonce, deadline } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "refreshDigest",
    args: [runner, quoteHash, composeHash, osImage, nonce, deadline],
  });
}
