import { bytesToHex, getAddress } from "viem";
import type { SignedReceipt } from "../receipts/receipt.js";
import { decodeSignedReceipt, SIGNED_RECEIPT_LENGTH } from "../receipts/receiptBytes.js";
import {
  FrameFieldError,
  FrameFormatError,
  FrameShapeError,
  FrameTooLargeError,
  FrameTruncatedError,
  WireError,
} from "./errors.js";
import { FrameReader } from "./FrameReader.js";
import {
  allowedDtypes,
  DEFAULT_FRAME_LIMITS,
  type DecodedFrame,
  type DtypeName,
  dtypesByCode,
  elementSize,
  FIXED_HEADER_LENGTH,
  FLAG_FP16_ACTIVATIONS,
  FLAG_LOGPROBS,
  FLAG_SAMPLING,
  FLAG_SKIP_SAMPLE,
  FRAME_MAGIC,
  FRAME_VERSION,
  type FrameKind,
  type FrameLimits,
  type FramePayload,
  KNOWN_FLAGS,
  kindsByCode,
  MAX_RANK,
  type RouteHop,
  SAMPLING_LENGTH,
  SESSION_ID_LENGTH,
  type WireSampling,
} from "./frame.js";
import { fromLittleEndian } from "./littleEndian.js";
import { checkSampling } from "./sampling.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function utf8(bytes: Uint8Array, field: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (cause) {
    throw new FrameFieldError(`${field} is not valid UTF-8`, { cause });
  }
}

function readRoute(reader: FrameReader, limits: FrameLimits): RouteHop[] {
  const count = reader.u8("route count");
  if (count > limits.maxRouteHops)
    throw new FrameTooLargeError(`Route has ${count} hops, limit ${limits.maxRouteHops}`);
  const route: RouteHop[] = [];
  for (let index = 0; index < count; index++) {
    const runner = getAddress(bytesToHex(reader.bytes(20, "route runner")));
    const publicKey = bytesToHex(reader.bytes(33, "route public key"));
    const endpointLength = reader.u16("route endpoint length");
    if (endpointLength > limits.maxEndpointBytes) throw new FrameTooLargeError("Route endpoint is too long");
    route.push({
      runner,
      publicKey,
      endpoint: utf8(reader.bytes(endpointLength, "route endpoint"), "endpoint"),
    });
  }
  return route;
}

function tensorPayload(
  dtype: "tokens" | "fp32" | "fp16",
  shape: number[],
  bytes: Uint8Array,
  positionCount: number,
): FramePayload {
  if (shape.length === 0 || (dtype === "tokens" && shape.length !== 1)) {
    throw new FrameShapeError(`Rank ${shape.length} is not valid for ${dtype}`);
  }
  const count = shape.reduce((product, dimension) => product * dimension, 1);
  if (count * elementSize[dtype] !== bytes.length || shape[0] !== positionCount) {
    throw new FrameShapeError("Tensor shape does not match the payload length or positions", {
      details: `shape [${shape.join(", ")}] of ${dtype}, ${bytes.length} payload bytes, ${positionCount} positions`,
    });
  }
  if (dtype === "tokens")
    return { type: "tokens", tokenIds: fromLittleEndian(bytes, (b) => new Uint32Array(b), 4) };
  if (dtype === "fp16") {
    return { type: "hidden", dtype, shape, data: fromLittleEndian(bytes, (b) => new Uint16Array(b), 2) };
  }
  return { type: "hidden", dtype, shape, data: fromLittleEndian(bytes, (b) => new Float32Array(b), 4) };
}

function receiptsPayload(
  shape: number[],
  bytes: Uint8Array,
  limits: FrameLimits,
): Extract<FramePayload, { type: "receipts" }> {
  if (shape.length !== 1) throw new FrameShapeError("A receipts payload has rank 1: [count]");
  const count = shape[0]!;
  if (count === 0) throw new FrameShapeError("A receipts payload carries at least one receipt");
  if (count > limits.maxReceipts) {
    throw new FrameTooLargeError(`${count} receipts in one frame, limit ${limits.maxReceipts}`);
  }
  if (count * SIGNED_RECEIPT_LENGTH !== bytes.length) {
    throw new FrameShapeError("Receipt count does not match the payload length", {
      details: `${count} receipts of ${SIGNED_RECEIPT_LENGTH} bytes, ${bytes.length} payload bytes`,
    });
  }
  const receipts: SignedReceipt[] = [];
  for (let index = 0; index < count; index++) {
    const at = index * SIGNED_RECEIPT_LENGTH;
    receipts.push(decodeSignedReceipt(bytes.subarray(at, at + SIGNED_RECEIPT_LENGTH)));
  }
  return { type: "receipts", receipts };
}

/** Code, then (shape [count]) that many signed receipts, then the message. */
function errorPayload(shape: number[], bytes: Uint8Array, limits: FrameLimits): FramePayload {
  if (shape.length > 1) throw new FrameShapeError("An error payload has no shape, or [receipt count]");
  const code = new FrameReader(bytes).u32("error code");
  if (shape.length === 0) return { type: "error", code, message: utf8(bytes.subarray(4), "error message") };
  const end = 4 + shape[0]! * SIGNED_RECEIPT_LENGTH;
  if (end > bytes.length) {
    throw new FrameShapeError("An error payload is shorter than the receipts it counts", {
      details: `${shape[0]} receipts, ${bytes.length} payload bytes`,
    });
  }
  const { receipts } = receiptsPayload(shape, bytes.subarray(4, end), limits);
  return { type: "error", code, message: utf8(bytes.subarray(end), "error message"), receipts };
}

function readPayload(
  dtype: DtypeName,
  shape: number[],
  bytes: Uint8Array,
  positionCount: number,
  limits: FrameLimits,
): FramePayload {
  if (dtype === "receipts") return receiptsPayload(shape, bytes, limits);
  if (dtype === "empty") {
    if (shape.length !== 0 || bytes.length !== 0)
      throw new FrameShapeError("An empty payload has no shape or bytes");
    return { type: "empty" };
  }
  if (dtype === "error") return errorPayload(shape, bytes, limits);
  if (dtype === "sample") {
    if (shape.length !== 0) throw new FrameShapeError(`A ${dtype} payload has no shape`);
    if (bytes.length !== 8) throw new FrameShapeError("A sample payload is exactly 8 bytes");
    const tokenId = new FrameReader(bytes).u32("token id");
    const logprob = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getFloat32(0, true);
    return { type: "sample", tokenId, logprob };
  }
  return tensorPayload(dtype, shape, bytes, positionCount);
}

type FrameOptions = {
  sampling: WireSampling | undefined;
  skipSample: true | undefined;
  activationDtype: "fp16" | undefined;
  logprobs: true | undefined;
};

function readOptions(header: FrameReader): FrameOptions {
  const flags = header.u8("option flags");
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new FrameFieldError(`Unknown option flags 0x${flags.toString(16)}`);
  let sampling: WireSampling | undefined;
  if ((flags & FLAG_SAMPLING) !== 0) {
    const block = header.bytes(SAMPLING_LENGTH, "sampling");
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    sampling = {
      temperature: view.getFloat64(0, true),
      topK: view.getUint32(8, true),
      topP: view.getFloat64(12, true),
      seed: view.getUint32(20, true),
    };
    checkSampling(sampling);
  }
  return {
    sampling,
    skipSample: (flags & FLAG_SKIP_SAMPLE) !== 0 ? true : undefined,
    activationDtype: (flags & FLAG_FP16_ACTIVATIONS) !== 0 ? "fp16" : undefined,
    logprobs: (flags & FLAG_LOGPROBS) !== 0 ? true : undefined,
  };
}

function readEnum<T>(map: ReadonlyMap<number, T>, code: number, field: string): T {
  const value = map.get(code);
  if (value === undefined) throw new FrameFieldError(`Unknown ${field} ${code}`);
  return value;
}

function decodeStrict(bytes: Uint8Array, limits: FrameLimits): DecodedFrame {
  const reader = new FrameReader(bytes);
  if (reader.u32("magic") !== FRAME_MAGIC) throw new FrameFormatError("Not a TeeTee wire frame (bad magic)");
  const version = reader.u8("version");
  if (version !== FRAME_VERSION) throw new FrameFormatError(`Unsupported frame version ${version}`);
  const kind: FrameKind = readEnum(kindsByCode, reader.u8("kind"), "frame kind");
  const dtype = readEnum(dtypesByCode, reader.u8("dtype"), "dtype");
  if (!allowedDtypes[kind].includes(dtype))
    throw new FrameFieldError(`A ${kind} frame cannot carry ${dtype}`);
  const rank = reader.u8("rank");
  if (rank > MAX_RANK) throw new FrameFieldError(`Rank ${rank} exceeds ${MAX_RANK}`);
  const headerLength = reader.u32("header length");
  if (headerLength < FIXED_HEADER_LENGTH || headerLength > bytes.length) {
    throw new FrameTruncatedError("Header length points outside the frame", {
      details: `header ${headerLength}, frame ${bytes.length}`,
    });
  }
  if (bytes.length - headerLength > limits.maxPayloadBytes)
    throw new FrameTooLargeError("Payload is too large");
  const header = new FrameReader(bytes, reader.offset, headerLength);
  const sessionId = header.bytes(SESSION_ID_LENGTH, "session id");
  const step = header.u32("step");
  const sentAt = Number(header.u64("sentAt"));
  if (!Number.isSafeInteger(sentAt)) throw new FrameFieldError("sentAt is out of range");
  const positionStart = header.u32("position start");
  const positionCount = header.u32("position count");
  const shape = Array.from({ length: rank }, () => header.u32("shape"));
  const voucherLength = header.u16("voucher length");
  if (voucherLength > limits.maxVoucherBytes)
    throw new FrameTooLargeError(`Voucher of ${voucherLength} bytes`);
  const voucher = header.bytes(voucherLength, "voucher");
  const route = readRoute(header, limits);
  const options = readOptions(header);
  if (header.offset !== headerLength) {
    throw new FrameFieldError("Header length does not match its fields", {
      details: `fields end at ${header.offset}, header length ${headerLength}`,
    });
  }
  const payload = readPayload(dtype, shape, bytes.subarray(headerLength), positionCount, limits);
  if (kind === "receipt" && payload.type === "receipts" && payload.receipts.length !== 1) {
    throw new FrameFieldError("A receipt frame carries the previous runner's receipt alone, or nothing");
  }
  return { kind, sessionId, step, sentAt, positionStart, positionCount, voucher, route, ...options, payload };
}

/**
 * Decodes a frame strictly: every length is checked against the bytes present and the
 * limits, every enum against the protocol, the shape against the payload length. Throws
 * only {@link WireError} subclasses, whatever the input.
 */
export function decodeFrame(bytes: Uint8Array, limits: Partial<FrameLimits> = {}): DecodedFrame {
  try {
    return decodeStrict(bytes, { ...DEFAULT_FRAME_LIMITS, ...limits });
  } catch (cause) {
    if (cause instanceof WireError) throw cause;
    // A bug here must still surface as a wire error, never crash a runner's request loop.
    throw new FrameFieldError("Frame could not be decoded", { cause });
  }
}
