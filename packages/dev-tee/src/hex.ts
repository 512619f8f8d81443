import { bytesToHex, hexToBytes } from "@noble/hashes/utils";

/** A 0x-prefixed hex string (the SDK's convention); dstack's own JSON uses bare hex. */
export type Hex = `0x${string}`;

export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

export function fromHex(hex: string): Uint8Array {
  return hexToBytes(hex.startsWith("0x") ? hex.slice(2) : hex);
}

/** Bare hex, as dstack's guest agent writes it in JSON. */
export function bareHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}
