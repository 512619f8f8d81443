import type { Account, Address, Hex } from "viem";
import { signTypedData } from "viem/actions";
import { TeeTeeContractError } from "../errors.js";
import type { TeeTeeClient } from "../internal/contractCalls.js";
import { resolveChainId, runnerRegistrationTypes, runnerRegistryDomain } from "../internal/eip712.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import { getRunnerNonce } from "../runnerRegistry/getRunnerNonce.js";
import type { RunnerRegistration } from "../types.js";
import { runnerConsentMessage } from "./hashRunnerConsent.js";

export type SignRunnerConsentParameters = ContractTarget<"runnerRegistry"> & {
  registration: RunnerRegistration;
  /** Who will submit the registration (and lock the stake). */
  contributor: Address;
  /** The runner's current `runnerNonce`; read from the chain when omitted. */
  nonce?: bigint;
  /** The runner key; defaults to the client's account. Must be `registration.runner`. */
  account?: Account | Address;
  /** Defaults to the client's chain, or the node's. */
  chainId?: number;
};

export type SignRunnerConsentReturnType = Hex;

/**
 * Signs, with the runner's TEE key, its consent to be registered by `contributor` (EIP-712 RunnerRegistration),
 * so nobody can claim a TEE they do not operate.
 * @example
 * const consent = await signRunnerConsent(runnerClient, { contracts, registration, contributor });
 */
export async function signRunnerConsent(
  client: TeeTeeClient,
  parameters: SignRunnerConsentParameters,
): Promise<SignRunnerConsentReturnType> {
  const account = parameters.account ?? client.account;
  if (account === undefined)
    throw new TeeTeeContractError("signRunnerConsent needs the runner key as account.");
  const runnerRegistry = resolveAddress(parameters, "runnerRegistry");
  const nonce =
    parameters.nonce ??
    (await getRunnerNonce(client, { address: runnerRegistry, runner: parameters.registration.runner }));
  const chainId = await resolveChainId(client, parameters.chainId);
  return signTypedData(client, {
    account,
    domain: runnerRegistryDomain(chainId, runnerRegistry),
    types: runnerRegistrationTypes,
    primaryType: "RunnerRegistration",
    message: runnerConsentMessage(parameters.registration, parameters.contributor, nonce),
  });
}
