import { secp256k1 } from "@noble/curves/secp256k1";
import { bytesToHex, type Hex, hexToBytes, keccak256, toHex } from "viem";

/**
 * The well-known key a dev-tee signs with unless given another, like Hardhat's public test
 * accounts. It is public on purpose: dev quotes prove nothing and are refused off local chains.
 */
export const DEV_QUOTE_DEFAULT_SIGNER_PRIVATE_KEY: Hex = keccak256(toHex("TeeTee.DevTee.DefaultSigner.v1"));

/** Compressed secp256k1 public key for a dev signer's private key. */
export function devQuoteSignerPublicKey(privateKey: Hex): Hex {
  return bytesToHex(secp256k1.getPublicKey(hexToBytes(privateKey), true));
}

/** Public key of {@link DEV_QUOTE_DEFAULT_SIGNER_PRIVATE_KEY}. */
export const DEV_QUOTE_DEFAULT_SIGNER_PUBLIC_KEY: Hex = devQuoteSignerPublicKey(
  DEV_QUOTE_DEFAULT_SIGNER_PRIVATE_KEY,
);
