import { bytesToHex, type Hex, hexToBytes } from "viem";
import { ReceiptFormatError } from "./errors.js";
import type { SignedReceipt } from "./receipt.js";

/**
 * Bytes of one signed receipt on the wire: `bytes32 modelId | u16 shardIndex | bytes16 sessionId | u32 positionStart
 * | u32 positionCount | bytes32 paramsHash | bytes32 inputHash | bytes32 outputHash | bytes32 previousReceipt |
 * u64 issuedAt | bytes65 signature (r, s, v)`, integers little-endian like the rest of the wire. Fixed length, so a
 * frame carries a list of them as `count * SIGNED_RECEIPT_LENGTH` bytes with nothing to parse but the fields.
 */
export const SIGNED_RECEIPT_LENGTH = 32 + 2 + 16 + 4 + 4 + 32 * 4 + 8 + 65;

const U64_MAX = 2n ** 64n - 1n;

/**
 * Encodes a signed receipt as its {@link SIGNED_RECEIPT_LENGTH} bytes.
 * @throws ReceiptFormatError for a field outside its type (a hash of the wrong length, a shard index past u16, …).
 */
export function encodeSignedReceipt({ receipt, signature }: SignedReceipt): Uint8Array {
  const out = new Uint8Array(SIGNED_RECEIPT_LENGTH);
  const view = new DataView(out.buffer);
  let at = 0;
  const fixed = (value: Hex, length: number, field: string) => {
    const bytes = hexBytes(value, field);
    if (bytes.length !== length) {
      throw new ReceiptFormatError(`The receipt's ${field} must be ${length} bytes`, {
        details: `${bytes.length} bytes`,
      });
    }
    out.set(bytes, at);
    at += length;
  };
  const integer = (value: number, bytes: 2 | 4, field: string) => {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * bytes)) {
      throw new ReceiptFormatError(`The receipt's ${field} must be a uint${8 * bytes}`, {
        details: String(value),
      });
    }
    if (bytes === 2) view.setUint16(at, value, true);
    else view.setUint32(at, value, true);
    at += bytes;
  };
  fixed(receipt.modelId, 32, "modelId");
  integer(receipt.shardIndex, 2, "shardIndex");
  fixed(receipt.sessionId, 16, "sessionId");
  integer(receipt.positionStart, 4, "positionStart");
  integer(receipt.positionCount, 4, "positionCount");
  fixed(receipt.paramsHash, 32, "paramsHash");
  fixed(receipt.inputHash, 32, "inputHash");
  fixed(receipt.outputHash, 32, "outputHash");
  fixed(receipt.previousReceipt, 32, "previousReceipt");
  if (receipt.issuedAt < 0n || receipt.issuedAt > U64_MAX) {
    throw new ReceiptFormatError("The receipt's issuedAt must be a uint64", {
      details: String(receipt.issuedAt),
    });
  }
  view.setBigUint64(at, receipt.issuedAt, true);
  at += 8;
  fixed(signature, 65, "signature");
  return out;
}

/**
 * Decodes the {@link SIGNED_RECEIPT_LENGTH} bytes of a signed receipt; checks lengths only (whether the signature
 * recovers to a registered runner is the verifier's question).
 * @throws ReceiptFormatError when `bytes` is not exactly one receipt long.
 */
export function decodeSignedReceipt(bytes: Uint8Array): SignedReceipt {
  if (bytes.length !== SIGNED_RECEIPT_LENGTH) {
    throw new ReceiptFormatError(`A signed receipt is ${SIGNED_RECEIPT_LENGTH} bytes`, {
      details: `${bytes.length} bytes`,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const fixed = (length: number): Hex => {
    const value = bytesToHex(bytes.subarray(at, at + length));
    at += length;
    return value;
  };
  const u16 = () => {
    at += 2;
    return view.getUint16(at - 2, true);
  };
  const u32 = () => {
    at += 4;
    return view.getUint32(at - 4, true);
  };
  const modelId = fixed(32);
  const shardIndex = u16();
  const sessionId = fixed(16);
  const positionStart = u32();
  const positionCount = u32();
  const paramsHash = fixed(32);
  const inputHash = fixed(32);
  const outputHash = fixed(32);
  const previousReceipt = fixed(32);
  const issuedAt = view.getBigUint64(at, true);
  at += 8;
  const signature = fixed(65);
  return {
    receipt: {
      modelId,
      shardIndex,
      sessionId,
      positionStart,
      positionCount,
      paramsHash,
      inputHash,
      outputHash,
      previousReceipt,
      issuedAt,
    },
    signature,
  };
}

function hexBytes(value: Hex, field: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(value)) {
    throw new ReceiptFormatError(`The receipt's ${field} is not hex`, { details: value });
  }
  return hexToBytes(value);
}
