import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type RefreshAttestationParameters = ContractTarget<"runnerRegistry"> &
  WriteOptions & {
    /** The runner's address. */
    runner: Address;
    /** keccak256 of the raw quote. */
    quoteHash: Hex;
    /** The compose hash the quote measures. */
    composeHash: Hex;
    /** The OS image the quote measures (`osImageMeasurement` of its TD report). */
    osImage: Hex;
    /** When the signature expires (unix seconds). */
    deadline: bigint;
    /** The raw quote; read only when an on-chain quote verifier is set. Defaults to `"0x"`. */
    quote?: Hex;
    /** The runner key's AttestationRefresh signature. */
    consent: Hex;
  };

export type RefreshAttestationReturnType = Hash;

/**
 * Records a fresh attestation signed by the runner key (see `signAttestationRefresh`). Anyone may submit it.
 *
 * Calls `refreshAttestation` on the RunnerRegistry contract.
 * @example
 * const hash = await refreshAttestation(walletClient, { contracts, runner, quoteHash, composeHash, osImage, deadline, consent });
 */
export async function refreshAttestation(
  client: TeeTeeClient,
  parameters: RefreshAttestationParameters,
): Promise<RefreshAttestationReturnType> {
  const { runner, quoteHash, composeHash, osImage, deadline, quote = "0x", consent } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "refreshAttestation",
    args: [runner, { quoteHash, composeHash, osImage }, deadline, quote, consent],
  });
}
