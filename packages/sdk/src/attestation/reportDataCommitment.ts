import { type Address, concat, encodeAbiParameters, type Hex, keccak256, toHex } from "viem";

/** Domain tag of the runner attestation commitment; the Solidity library hashes the same string. */
export const ATTESTATION_COMMITMENT_TAG: Hex = keccak256(toHex("TeeTee.RunnerAttestation.v1"));

/** What a runner's quote commits to: the registration it backs, never request data. */
export type AttestationCommitmentParameters = {
  chainId: number | bigint;
  registry: Address;
  modelId: Hex;
  shardIndex: number;
  runner: Address;
  weightsHash: Hex;
};

const commitmentAbi = [
  { type: "bytes32" },
  { type: "uint256" },
  { type: "address" },
  { type: "bytes32" },
  { type: "uint16" },
  { type: "address" },
  { type: "bytes32" },
] as const;

/**
 * keccak256(abi.encode(TAG, chainId, registry, modelId, shardIndex, runner, weightsHash)).
 * The encoding must stay byte-identical to the Solidity library, which recomputes it on-chain.
 *
 * @example
 * computeAttestationCommitment({ chainId: 31337, registry, modelId, shardIndex: 0, runner, weightsHash })
 */
export function computeAttestationCommitment(params: AttestationCommitmentParameters): Hex {
  return keccak256(
    encodeAbiParameters(commitmentAbi, [
      ATTESTATION_COMMITMENT_TAG,
      BigInt(params.chainId),
      params.registry,
      params.modelId,
      params.shardIndex,
      params.runner,
      params.weightsHash,
    ]),
  );
}

/** The 64-byte TDX report data: the 32-byte commitment followed by 32 zero bytes. */
export function computeReportData(params: AttestationCommitmentParameters): Hex {
  return concat([computeAttestationCommitment(params), toHex(new Uint8Array(32))]);
}
