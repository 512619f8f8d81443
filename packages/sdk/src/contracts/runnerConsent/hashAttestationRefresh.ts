import { type Address, type Hex, hashTypedData } from "viem";
import { attestationRefreshTypes, runnerRegistryDomain } from "../internal/eip712.js";

export interface HashAttestationRefreshParameters {
  runner: Address;
  quoteHash: Hex;
  composeHash: Hex;
  /** SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of the quote (`osImageMeasurement`). */
  osImage: Hex;
  nonce: bigint;
  deadline: bigint;
  chainId: number;
  runnerRegistry: Address;
}

export type HashAttestationRefreshReturnType = Hex;

/** The EIP-712 digest of an attestation refresh, equal to `RunnerRegistry.refreshDigest`. */
export function hashAttestationRefresh(
  parameters: HashAttestationRefreshParameters,
): HashAttestationRefreshReturnType {
  const { chainId, runnerRegistry, runner, quoteHash, composeHash, osImage, nonce, deadline } = parameters;
  return hashTypedData({
    domain: runnerRegistryDomain(chainId, runnerRegistry),
    types: attestationRefreshTypes,
    primaryType: "AttestationRefresh",
    message: { runner, quoteHash, composeHash, osImage, nonce, deadline },
  });
}
