import { keccak_256 } from "@noble/hashes/sha3";
import fc from "fast-check";
import { bytesToHex, hexToBytes, keccak256, toHex } from "viem";
import {
  ATTESTATION_COMMITMENT_TAG,
  computeAttestationCommitment,
  computeReportData,
} from "./reportDataCommitment.js";

/** abi.encode of static types is 32-byte words, left-padded: an independent re-derivation. */
function word(value: bigint): Uint8Array {
  return hexToBytes(`0x${value.toString(16).padStart(64, "0")}`);
}

const params = {
  chainId: 31337,
  registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  modelId: `0x${"11".repeat(32)}`,
  shardIndex: 3,
  runner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  weightsHash: `0x${"22".repeat(32)}`,
} as const;

describe("computeAttestationCommitment", () => {
  test("the tag is keccak256 of the domain string", () => {
    expect(ATTESTATION_COMMITMENT_TAG).toBe(keccak256(toHex("TeeTee.RunnerAttestation.v1")));
  });

  test("equals keccak256 over seven ABI words", () => {
    const words = [
      hexToBytes(ATTESTATION_COMMITMENT_TAG),
      word(31337n),
      word(BigInt(params.registry)),
      hexToBytes(params.modelId),
      word(3n),
      word(BigInt(params.runner)),
      hexToBytes(params.weightsHash),
    ];
    const packed = new Uint8Array(words.length * 32);
    for (const [index, w] of words.entries()) packed.set(w, index * 32);
    expect(computeAttestationCommitment(params)).toBe(bytesToHex(keccak_256(packed)));
  });

  test("every field changes the commitment", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (shard, chainId) => {
          fc.pre(shard !== params.shardIndex && chainId !== params.chainId);
          const base = computeAttestationCommitment(params);
          expect(computeAttestationCommitment({ ...params, shardIndex: shard })).not.toBe(base);
          expect(computeAttestationCommitment({ ...params, chainId })).not.toBe(base);
        },
      ),
    );
  });
});

describe("computeReportData", () => {
  test("is the commitment followed by 32 zero bytes", () => {
    const reportData = hexToBytes(computeReportData(params));
    expect(reportData.length).toBe(64);
    expect(bytesToHex(reportData.slice(0, 32))).toBe(computeAttestationCommitment(params));
    expect(reportData.slice(32).every((byte) => byte === 0)).toBe(true);
  });
});
