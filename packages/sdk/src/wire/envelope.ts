import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomFillSync,
} from "node:crypto";
import { FrameDecryptError, FrameFormatError, FrameTruncatedError } from "./errors.js";

/** "TTWE": TeeTee wire envelope. */
const ENVELOPE_MAGIC = [0x54, 0x54, 0x57, 0x45] as const;
const ENVELOPE_VERSION = 1;
export const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const EPHEMERAL_KEY_LENGTH = 33;

export type EnvelopeType = "request" | "reply";
const typeCodes: Record<EnvelopeType, number> = { request: 1, reply: 2 };

/**
 * Channel keys as `KeyObject`s, made once per key: handing raw key bytes to `createCipheriv` makes Node import them
 * again on every frame, which costs more than encrypting a decode step's activations.
 */
const keyObjects = new WeakMap<Uint8Array, KeyObject>();
function keyObjectFor(key: Uint8Array): KeyObject {
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = createSecretKey(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

/**
 * Nonces come from the CSPRNG in blocks (one system call per 341 frames instead of one per frame); each nonce is
 * used once and the block is refilled when spent.
 */
const nonceBlock = new Uint8Array(NONCE_LENGTH * 341);
let nonceOffset = nonceBlock.length;
function freshNonce(): Uint8Array {
  if (nonceOffset === nonceBlock.length) {
    randomFillSync(nonceBlock);
    nonceOffset = 0;
  }
  const nonce = nonceBlock.subarray(nonceOffset, nonceOffset + NONCE_LENGTH);
  nonceOffset += NONCE_LENGTH;
  return nonce;
}

/** Envelope header length: magic, version, type, [ephemeral key], nonce. */
function headerLength(type: EnvelopeType): number {
  return 6 + (type === "request" ? EPHEMERAL_KEY_LENGTH : 0) + NONCE_LENGTH;
}

/**
 * AES-256-GCM with a fresh random 96-bit nonce. The cleartext envelope header (including the
 * ephemeral key) is the AAD, so swapping the key or type invalidates the tag. The whole frame,
 * its header included, is the plaintext: session ids, vouchers and routes stay confidential.
 */
export function sealEnvelope(
  type: EnvelopeType,
  key: Uint8Array,
  plaintext: Uint8Array,
  ephemeralPublicKey?: Uint8Array,
): Uint8Array {
  const length = headerLength(type);
  const out = new Uint8Array(length + plaintext.length + TAG_LENGTH);
  out.set(ENVELOPE_MAGIC, 0);
  out[4] = ENVELOPE_VERSION;
  out[5] = typeCodes[type];
  if (type === "request") out.set(ephemeralPublicKey ?? new Uint8Array(EPHEMERAL_KEY_LENGTH), 6);
  const nonce = freshNonce();
  out.set(nonce, length - NONCE_LENGTH);
  const cipher = createCipheriv("aes-256-gcm", keyObjectFor(key), nonce);
  cipher.setAAD(out.subarray(0, length));
  const body = cipher.update(plaintext);
  cipher.final();
  out.set(body, length);
  out.set(cipher.getAuthTag(), length + body.length);
  return out;
}

/** Reads the ephemeral key of a request envelope without decrypting (to find the channel key). */
export function envelopeEphemeralKey(envelope: Uint8Array): Uint8Array {
  checkHeader(envelope, "request");
  return envelope.slice(6, 6 + EPHEMERAL_KEY_LENGTH);
}

function checkHeader(envelope: Uint8Array, type: EnvelopeType): void {
  if (envelope.length < headerLength(type) + TAG_LENGTH) {
    throw new FrameTruncatedError("Envelope is shorter than its header and tag", {
      details: `${envelope.length} bytes`,
    });
  }
  if (ENVELOPE_MAGIC.some((byte, index) => envelope[index] !== byte)) {
    throw new FrameFormatError("Not a TeeTee wire envelope (bad magic)");
  }
  if (envelope[4] !== ENVELOPE_VERSION)
    throw new FrameFormatError(`Unsupported envelope version ${envelope[4]}`);
  if (envelope[5] !== typeCodes[type]) throw new FrameFormatError(`Expected a ${type} envelope`);
}

/** Authenticates and decrypts; any tampering or a wrong key is a {@link FrameDecryptError}. */
export function openEnvelope(type: EnvelopeType, key: Uint8Array, envelope: Uint8Array): Uint8Array {
  checkHeader(envelope, type);
  const length = headerLength(type);
  const tagStart = envelope.length - TAG_LENGTH;
  try {
    const decipher = createDecipheriv(
      "aes-256-gcm",
      keyObjectFor(key),
      envelope.subarray(length - NONCE_LENGTH, length),
    );
    decipher.setAAD(envelope.subarray(0, length));
    decipher.setAuthTag(envelope.subarray(tagStart));
    const head = decipher.update(envelope.subarray(length, tagStart));
    const tail = decipher.final();
    return tail.length === 0
      ? new Uint8Array(head.buffer, head.byteOffset, head.length)
      : Buffer.concat([head, tail]);
  } catch (cause) {
    throw new FrameDecryptError("Frame failed authentication", {
      cause,
      hint: "The bytes were altered, or were sealed for another runner's key.",
    });
  }
}
