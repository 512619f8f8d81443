import { type Address, type Hex, hashTypedData } from "viem";
import { runnerRegistrationTypes, runnerRegistryDomain } from "../internal/eip712.js";
import type { RunnerRegistration } from "../types.js";

export interface HashRunnerConsentParameters {
  registration: RunnerRegistration;
  /** Who will submit the registration (and lock the stake). */
  contributor: Address;
  /** The runner's current `runnerNonce`. */
  nonce: bigint;
  chainId: number;
  runnerRegistry: Address;
}

export type HashRunnerConsentReturnType = Hex;

/** The EIP-712 digest of a runner registration consent, equal to `RunnerRegistry.registrationDigest`. */
export function hashRunnerConsent(parameters: HashRunnerConsentParameters): HashRunnerConsentReturnType {
  const { registration, contributor, nonce, chainId, runnerRegistry } = parameters;
  return hashTypedData({
    domain: runnerRegistryDomain(chainId, runnerRegistry),
    types: runnerRegistrationTypes,
    primaryType: "RunnerRegistration",
    message: runnerConsentMessage(registration, contributor, nonce),
  });
}

export function runnerConsentMessage(registration: RunnerRegistration, contributor: Address, nonce: bigint) {
  return {
    runner: registration.runner,
    contributor,
    modelId: registration.modelId,
    shardIndex: registration.shardIndex,
    endpoint: registration.endpoint,
    publicKey: registration.publicKey,
    quoteHash: registration.quoteHash,
    composeHash: registration.composeHash,
    osImage: registration.osImage,
    nonce,
    deadline: registration.deadline,
  };
}
