import { hexToBytes, isAddress } from "viem";
import type { SignedReceipt } from "../receipts/receipt.js";
import { encodeSignedReceipt, SIGNED_RECEIPT_LENGTH } from "../receipts/receiptBytes.js";
import { FrameFieldError, FrameShapeError, FrameTooLargeError } from "./errors.js";
import {
  DEFAULT_FRAME_LIMITS,
  dtypeCodes,
  FIXED_HEADER_LENGTH,
  FLAG_FP16_ACTIVATIONS,
  FLAG_LOGPROBS,
  FLAG_SAMPLING,
  FLAG_SKIP_SAMPLE,
  FRAME_MAGIC,
  FRAME_VERSION,
  type Frame,
  type FramePayload,
  kindCodes,
  MAX_RANK,
  SAMPLING_LENGTH,
  SESSION_ID_LENGTH,
} from "./frame.js";
import { littleEndianBytes } from "./littleEndian.js";
import { checkSampling } from "./sampling.js";

const encoder = new TextEncoder();
const MAX_U32 = 0xffffffff;

type PayloadBytes = { dtype: number; shape: readonly number[]; bytes: Uint8Array };

function assertU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new FrameFieldError(`${name} must be a uint32`, { details: String(value) });
  }
}

function checkedShape(shape: readonly number[], length: number, positionCount: number): readonly number[] {
  if (shape.length < 1 || shape.length > MAX_RANK) {
    throw new FrameShapeError(`Tensor rank must be 1..${MAX_RANK}`, {
      details: `shape [${shape.join(", ")}]`,
    });
  }
  for (const dimension of shape) assertU32("shape dimension", dimension);
  const count = shape.reduce((product, dimension) => product * dimension, 1);
  if (count !== length || shape[0] !== positionCount) {
    throw new FrameShapeError("Tensor shape does not match its data or positions", {
      details: `shape [${shape.join(", ")}], ${length} elements, ${positionCount} positions`,
    });
  }
  return shape;
}

function payloadBytes(payload: FramePayload, positionCount: number): PayloadBytes {
  switch (payload.type) {
    case "tokens":
      checkedShape([payload.tokenIds.length], payload.tokenIds.length, positionCount);
      return {
        dtype: dtypeCodes.tokens,
        shape: [payload.tokenIds.length],
        bytes: littleEndianBytes(payload.tokenIds),
      };
    case "hidden": {
      const shape = checkedShape(payload.shape, payload.data.length, positionCount);
      const expected = payload.dtype === "fp16" ? Uint16Array : Float32Array;
      if (!(payload.data instanceof expected)) {
        throw new FrameFieldError(`${payload.dtype} data must be a ${expected.name}`);
      }
      return { dtype: dtypeCodes[payload.dtype], shape, bytes: littleEndianBytes(payload.data) };
    }
    case "sample": {
      assertU32("tokenId", payload.tokenId);
      const bytes = new Uint8Array(8);
      const view = new DataView(bytes.buffer);
      view.setUint32(0, payload.tokenId, true);
      view.setFloat32(4, payload.logprob, true);
      return { dtype: dtypeCodes.sample, shape: [], bytes };
    }
    case "empty":
      return { dtype: dtypeCodes.empty, shape: [], bytes: new Uint8Array(0) };
    case "receipts":
      return receiptBytes(payload.receipts);
    case "error":
      return errorBytes(payload);
  }
}

/** Code, the receipts it carries (shape [count], when any), then the message. */
function errorBytes(payload: Extract<FramePayload, { type: "error" }>): PayloadBytes {
  assertU32("error code", payload.code);
  const message = encoder.encode(payload.message);
  const receipts = payload.receipts ?? [];
  const signed = receipts.length === 0 ? new Uint8Array(0) : receiptBytes(receipts).bytes;
  const bytes = new Uint8Array(4 + signed.length + message.length);
  new DataView(bytes.buffer).setUint32(0, payload.code, true);
  bytes.set(signed, 4);
  bytes.set(message, 4 + signed.length);
  return { dtype: dtypeCodes.error, shape: receipts.length === 0 ? [] : [receipts.length], bytes };
}

function receiptBytes(receipts: readonly SignedReceipt[]): PayloadBytes {
  if (receipts.length === 0) throw new FrameFieldError("A receipts payload carries at least one receipt");
  if (receipts.length > DEFAULT_FRAME_LIMITS.maxReceipts) {
    throw new FrameTooLargeError(`More than ${DEFAULT_FRAME_LIMITS.maxReceipts} receipts in one frame`);
  }
  const bytes = new Uint8Array(receipts.length * SIGNED_RECEIPT_LENGTH);
  receipts.forEach((signed, index) => {
    try {
      bytes.set(encodeSignedReceipt(signed), index * SIGNED_RECEIPT_LENGTH);
    } catch (cause) {
      throw new FrameFieldError(`Receipt ${index} cannot be encoded`, { cause });
    }
  });
  return { dtype: dtypeCodes.receipts, shape: [receipts.length], bytes };
}

type EncodedRoute = { bytes: Uint8Array[]; length: number };

function encodeRoute(frame: Frame): EncodedRoute {
  const route = frame.route ?? [];
  if (route.length > DEFAULT_FRAME_LIMITS.maxRouteHops) {
    throw new FrameTooLargeError(`Route has more than ${DEFAULT_FRAME_LIMITS.maxRouteHops} hops`);
  }
  const bytes = route.map((hop) => {
    if (!isAddress(hop.runner, { strict: false }))
      throw new FrameFieldError("Route hop runner is not an address");
    const publicKey = hexToBytes(hop.publicKey);
    if (publicKey.length !== 33)
      throw new FrameFieldError("Route hop public key must be 33 bytes (compressed)");
    const endpoint = encoder.encode(hop.endpoint);
    if (endpoint.length > DEFAULT_FRAME_LIMITS.maxEndpointBytes) {
      throw new FrameTooLargeError("Route hop endpoint is too long", { details: `${endpoint.length} bytes` });
    }
    const out = new Uint8Array(20 + 33 + 2 + endpoint.length);
    out.set(hexToBytes(hop.runner), 0);
    out.set(publicKey, 20);
    new DataView(out.buffer).setUint16(53, endpoint.length, true);
    out.set(endpoint, 55);
    return out;
  });
  return { bytes, length: 1 + bytes.reduce((sum, hop) => sum + hop.length, 0) };
}

function validateHeader(frame: Frame, voucher: Uint8Array): void {
  if (frame.sessionId.length !== SESSION_ID_LENGTH) {
    throw new FrameFieldError(`Session id must be ${SESSION_ID_LENGTH} bytes`);
  }
  assertU32("step", frame.step);
  assertU32("positionStart", frame.positionStart);
  assertU32("positionCount", frame.positionCount);
  if (!Number.isSafeInteger(frame.sentAt) || frame.sentAt < 0)
    throw new FrameFieldError("sentAt must be ms since epoch");
  if (voucher.length > DEFAULT_FRAME_LIMITS.maxVoucherBytes) {
    throw new FrameTooLargeError("Voucher is too long", { details: `${voucher.length} bytes` });
  }
  const allowed: Record<Frame["kind"], readonly FramePayload["type"][]> = {
    prefill: ["tokens", "hidden"],
    decode: ["tokens", "hidden"],
    result: ["sample", "hidden", "empty", "receipts"],
    error: ["error"],
    drop: ["empty"],
    await: ["empty"],
    receipt: ["receipts", "empty"],
  };
  if (!allowed[frame.kind].includes(frame.payload.type)) {
    throw new FrameFieldError(`A ${frame.kind} frame cannot carry a ${frame.payload.type} payload`);
  }
  if (frame.kind === "receipt" && frame.payload.type === "receipts" && frame.payload.receipts.length !== 1) {
    throw new FrameFieldError("A receipt frame carries the previous runner's receipt alone, or nothing");
  }
}

function encodeOptions(frame: Frame): Uint8Array {
  const flags =
    (frame.sampling === undefined ? 0 : FLAG_SAMPLING) |
    (frame.skipSample === true ? FLAG_SKIP_SAMPLE : 0) |
    (frame.activationDtype === "fp16" ? FLAG_FP16_ACTIVATIONS : 0) |
    (frame.logprobs === true ? FLAG_LOGPROBS : 0);
  if (frame.sampling === undefined) return Uint8Array.of(flags);
  checkSampling(frame.sampling);
  const out = new Uint8Array(1 + SAMPLING_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = flags;
  view.setFloat64(1, frame.sampling.temperature, true);
  view.setUint32(9, frame.sampling.topK, true);
  view.setFloat64(13, frame.sampling.topP, true);
  view.setUint32(21, frame.sampling.seed, true);
  return out;
}

/**
 * Encodes a frame: a length-prefixed little-endian header, then the raw payload bytes.
 * Refuses (with the same named errors the decoder uses) anything the decoder would refuse.
 *
 * @example
 * const bytes = encodeFrame({ kind: "decode", sessionId, step: 7, sentAt: Date.now(), positionStart: 12,
 *   positionCount: 1, payload: { type: "hidden", dtype: "fp16", shape: [1, 2048], data } });
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const voucher = frame.voucher ?? new Uint8Array(0);
  validateHeader(frame, voucher);
  const payload = payloadBytes(frame.payload, frame.positionCount);
  if (payload.bytes.length > DEFAULT_FRAME_LIMITS.maxPayloadBytes)
    throw new FrameTooLargeError("Payload is too large");
  const route = encodeRoute(frame);
  const options = encodeOptions(frame);
  const headerLength =
    FIXED_HEADER_LENGTH + 4 * payload.shape.length + 2 + voucher.length + route.length + options.length;
  const out = new Uint8Array(headerLength + payload.bytes.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  out[4] = FRAME_VERSION;
  out[5] = kindCodes[frame.kind];
  out[6] = payload.dtype;
  out[7] = payload.shape.length;
  view.setUint32(8, headerLength, true);
  out.set(frame.sessionId, 12);
  view.setUint32(28, frame.step, true);
  view.setBigUint64(32, BigInt(frame.sentAt), true);
  view.setUint32(40, frame.positionStart, true);
  view.setUint32(44, frame.positionCount, true);
  let offset = FIXED_HEADER_LENGTH;
  for (const dimension of payload.shape) {
    view.setUint32(offset, dimension, true);
    offset += 4;
  }
  view.setUint16(offset, voucher.length, true);
  out.set(voucher, offset + 2);
  offset += 2 + voucher.length;
  out[offset] = route.bytes.length;
  offset += 1;
  for (const hop of route.bytes) {
    out.set(hop, offset);
    offset += hop.length;
  }
  out.set(options, offset);
  offset += options.length;
  out.set(payload.bytes, offset);
  return out;
}
