import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { RunnerRegistration } from "../types.js";

export type RegisterRunnerParameters = ContractTarget<"runnerRegistry"> &
  WriteOptions & {
    /** The runner, model, shard, endpoint, public key, quote and compose hashes, and deadline the runner key signed. */
    registration: RunnerRegistration;
    /** The raw quote; read only when an on-chain quote verifier is set. Defaults to `"0x"`. */
    quote?: Hex;
    /** The runner key's RunnerRegistration signature. */
    consent: Hex;
  };

export type RegisterRunnerReturnType = Hash;

/**
 * Registers (or re-activates) a runner for the sender, locking the model's minimum stake. The runner key's consent comes from `signRunnerConsent`.
 *
 * Calls `registerRunner` on the RunnerRegistry contract.
 * @example
 * const hash = await registerRunner(walletClient, { contracts, registration, consent });
 */
export async function registerRunner(
  client: TeeTeeClient,
  parameters: RegisterRunnerParameters,
): Promise<RegisterRunnerReturnType> {
  const { registration, quote = "0x", consent } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "registerRunner",
    args: [registration, quote, consent],
  });
}
