import { secp256k1 } from "@noble/curves/secp256k1";
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import { type Hex, hexToBytes } from "viem";
import { WireKeyError } from "./errors.js";

/** Protocol tag bound into every derived key, so keys never cross protocols or versions. */
export const WIRE_PROTOCOL_TAG = "TeeTee.wire.v1";

/** AES-256-GCM keys for both directions of one sender-to-runner channel. */
export type WireKeys = { requestKey: Uint8Array; responseKey: Uint8Array };

const encoder = new TextEncoder();

/** Parses a secp256k1 public key (compressed or not) and returns it compressed. */
export function compressedPublicKey(publicKey: Hex | Uint8Array): Uint8Array {
  try {
    const bytes = typeof publicKey === "string" ? hexToBytes(publicKey) : publicKey;
    return secp256k1.ProjectivePoint.fromHex(bytes).toRawBytes(true);
  } catch (cause) {
    throw new WireKeyError("Not a valid secp256k1 public key", { cause });
  }
}

export function privateKeyBytes(privateKey: Hex | Uint8Array): Uint8Array {
  const bytes = typeof privateKey === "string" ? hexToBytes(privateKey) : privateKey;
  if (!secp256k1.utils.isValidPrivateKey(bytes)) throw new WireKeyError("Not a valid secp256k1 private key");
  return bytes;
}

function info(direction: string, recipient: Uint8Array, ephemeral: Uint8Array): Uint8Array {
  const label = encoder.encode(`${WIRE_PROTOCOL_TAG}/${direction}`);
  const out = new Uint8Array(label.length + recipient.length + ephemeral.length);
  out.set(label, 0);
  out.set(recipient, label.length);
  out.set(ephemeral, label.length + recipient.length);
  return out;
}

/**
 * HKDF-SHA256 over the ECDH x-coordinate, with info bound to the protocol tag, the direction,
 * the recipient's and the ephemeral public key: a key is useless for any other pair or way.
 */
export function deriveWireKeys(params: {
  privateKey: Uint8Array;
  peerPublicKey: Uint8Array;
  recipientPublicKey: Uint8Array;
  ephemeralPublicKey: Uint8Array;
}): WireKeys {
  let shared: Uint8Array;
  try {
    shared = secp256k1.getSharedSecret(params.privateKey, params.peerPublicKey, true).slice(1);
  } catch (cause) {
    throw new WireKeyError("ECDH failed", { cause });
  }
  const salt = encoder.encode(WIRE_PROTOCOL_TAG);
  const { recipientPublicKey: recipient, ephemeralPublicKey: ephemeral } = params;
  return {
    requestKey: hkdf(sha256, shared, salt, info("request", recipient, ephemeral), 32),
    responseKey: hkdf(sha256, shared, salt, info("response", recipient, ephemeral), 32),
  };
}
