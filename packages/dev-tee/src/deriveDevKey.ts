import { secp256k1 } from "@noble/curves/secp256k1";
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import { keccak_256 } from "@noble/hashes/sha3";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils";
import type { DevTeeIdentity } from "./devTeeIdentity.js";
import { bareHex, fromHex } from "./hex.js";

/**
 * A secp256k1 key from the instance's root secret, the path and the purpose. Deterministic,
 * so a runner that seals its state with a `GetKey` key finds it again after a restart with the
 * same identity. (Real dstack binds only the path into the key; binding the purpose too keeps
 * keys for different uses apart in tests.) The counter retries the 2^-128 case of an invalid scalar.
 */
export function deriveDevKey(rootSecret: Uint8Array, path: string, purpose: string): Uint8Array {
  const info = concatBytes(utf8ToBytes(path), new Uint8Array([0]), utf8ToBytes(purpose));
  for (let counter = 0; ; counter++) {
    const salt = utf8ToBytes(`TeeTee.DevTee.GetKey.v1/${counter}`);
    const candidate = hkdf(sha256, rootSecret, salt, info, 32);
    if (secp256k1.utils.isValidPrivateKey(candidate)) return candidate;
  }
}

function signRecoverable(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  const signature = secp256k1.sign(keccak_256(message), privateKey);
  return concatBytes(signature.toCompactRawBytes(), new Uint8Array([signature.recovery]));
}

/**
 * `GetKey` in dstack's shape: the key and a signature chain. As in dstack, the app key signs
 * "purpose:pubkey" and the key provider signs "dstack-kms-issued:" || app id || app pubkey;
 * here the provider is the dev signer, so the chain proves nothing beyond the dev-tee.
 */
export function getDevKey(identity: DevTeeIdentity, path: string, purpose: string) {
  const rootSecret = fromHex(identity.rootSecret);
  const key = deriveDevKey(rootSecret, path, purpose);
  const appKey = deriveDevKey(rootSecret, "", "app-key");
  const publicKey = secp256k1.getPublicKey(key, true);
  const appPublicKey = secp256k1.getPublicKey(appKey, true);
  const keySignature = signRecoverable(appKey, utf8ToBytes(`${purpose}:${bareHex(publicKey)}`));
  const appSignature = signRecoverable(
    fromHex(identity.signerPrivateKey),
    concatBytes(utf8ToBytes("dstack-kms-issued:"), fromHex(identity.appId), appPublicKey),
  );
  return { key: bareHex(key), signature_chain: [bareHex(keySignature), bareHex(appSignature)] };
}
