import type { Address, Hex } from "viem";
import type { SignedReceipt } from "../receipts/receipt.js";

/**
 * What a frame asks of, or answers to, a runner. `drop` asks a runner (and, along the stored route, every
 * runner after it) to forget a session's KV cache. `await` asks a route's last runner for the result of a step
 * that reaches it by forwarding, so the sampled token comes straight back to the sender (N+1 hops a token)
 * instead of being relayed back through every runner; it carries no payload and has its own replay sequence.
 * `receipt` asks a runner to sign its receipt of a session (it computes nothing): it carries the previous
 * runner's signed receipt, or nothing to shard 0, and is answered by a result carrying the signed receipts from
 * that runner to the end of the route (when it forwards) or its own alone.
 */
export type FrameKind = "prefill" | "decode" | "result" | "error" | "drop" | "await" | "receipt";

/** A runner further down the route, so runner i can forward to runner i+1 without asking anyone. */
export type RouteHop = {
  runner: Address;
  endpoint: string;
  /** The runner's attested secp256k1 public key, compressed (33 bytes). */
  publicKey: Hex;
};

/** The body of a frame. Tensors are raw little-endian numbers; there are no JSON floats. */
export type FramePayload =
  /** Token ids into shard 0, shape [positionCount]. */
  | { type: "tokens"; tokenIds: Uint32Array }
  /** Hidden states between shards, shape [positionCount, ...]. fp16 travels as raw bits. */
  | { type: "hidden"; dtype: "fp32"; shape: readonly number[]; data: Float32Array }
  | { type: "hidden"; dtype: "fp16"; shape: readonly number[]; data: Uint16Array }
  /** The last shard's sampled token, so no vocabulary of logits ever leaves it. */
  | { type: "sample"; tokenId: number; logprob: number }
  /**
   * A refusal: the HTTP status and one line. A runner whose next runner failed a receipt frame also sends the
   * signed receipts it holds (its own, then any from the runners after it), so the sender keeps the partial chain;
   * on the wire they are a shape [count] and count fixed-size receipts between the code and the message.
   */
  | { type: "error"; code: number; message: string; receipts?: readonly SignedReceipt[] }
  /**
   * Signed receipts in shard order: the previous runner's on a receipt frame (exactly one), the route's from the
   * answering runner on in its result (one or more). Each travels as its fixed bytes (`encodeSignedReceipt`).
   */
  | { type: "receipts"; receipts: readonly SignedReceipt[] }
  /** Nothing: a drop request, its acknowledgement, or the result of a prefill chunk that samples nothing. */
  | { type: "empty" };

/**
 * How the last shard picks tokens for a session, sent on its first prefill frame. Temperature and top-p
 * travel as float64, so a runner samples with exactly the values the caller chose.
 */
export type WireSampling = { temperature: number; topK: number; topP: number; seed: number };

export type Frame = {
  kind: FrameKind;
  /** 16 random bytes chosen by the gateway. */
  sessionId: Uint8Array;
  /** Strictly increasing per session and sender: the replay guard's sequence number. */
  step: number;
  /** Sender's clock, ms since epoch: bounds how long the replay guard must remember a session. */
  sentAt: number;
  positionStart: number;
  positionCount: number;
  voucher?: Uint8Array;
  route?: readonly RouteHop[];
  /** Sampling of the session, set by its first prefill frame (the last shard keeps it). */
  sampling?: WireSampling;
  /**
   * Sent with the session's sampling: the last shard also returns each sampled token's log-probability. Without
   * it a sample carries NaN, and the last shard skips a softmax over the whole vocabulary every token.
   */
  logprobs?: boolean;
  /** An intermediate prefill chunk: the last shard extends its cache but samples nothing. */
  skipSample?: boolean;
  /** Dtype of the activations a runner sends on (to the next runner or back to the sender); fp32 if absent. */
  activationDtype?: "fp16" | "fp32";
  payload: FramePayload;
};

/** Limits a decoder enforces before allocating anything. */
export type FrameLimits = {
  maxPayloadBytes: number;
  maxVoucherBytes: number;
  maxRouteHops: number;
  maxEndpointBytes: number;
  /** Signed receipts one frame may carry: a route's worth (the first runner and its `maxRouteHops`). */
  maxReceipts: number;
};

export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  maxPayloadBytes: 64 * 1024 * 1024,
  maxVoucherBytes: 4096,
  maxRouteHops: 16,
  maxEndpointBytes: 1024,
  maxReceipts: 17,
};

/** "TTWF": TeeTee wire frame. */
export const FRAME_MAGIC = 0x46575454;
export const FRAME_VERSION = 1;
export const SESSION_ID_LENGTH = 16;
export const MAX_RANK = 4;
/** Fixed part of the header: magic, version, kind, dtype, rank, header length, session, step, sentAt, positions. */
export const FIXED_HEADER_LENGTH = 48;

export const kindCodes: Record<FrameKind, number> = {
  prefill: 1,
  decode: 2,
  result: 3,
  error: 4,
  drop: 5,
  await: 6,
  receipt: 7,
};
export const kindsByCode: ReadonlyMap<number, FrameKind> = new Map(
  Object.entries(kindCodes).map(([kind, code]) => [code, kind as FrameKind]),
);

/** Wire dtype codes; the element size is what the shape multiplies. */
export const dtypeCodes = {
  tokens: 1,
  fp32: 2,
  fp16: 3,
  sample: 4,
  error: 5,
  empty: 6,
  receipts: 7,
} as const;
export type DtypeName = keyof typeof dtypeCodes;
export const dtypesByCode: ReadonlyMap<number, DtypeName> = new Map(
  Object.entries(dtypeCodes).map(([name, code]) => [code, name as DtypeName]),
);
export const elementSize: Record<"tokens" | "fp32" | "fp16", number> = { tokens: 4, fp32: 4, fp16: 2 };

/** Which payloads each kind may carry. */
export const allowedDtypes: Record<FrameKind, readonly DtypeName[]> = {
  prefill: ["tokens", "fp32", "fp16"],
  decode: ["tokens", "fp32", "fp16"],
  result: ["sample", "fp32", "fp16", "empty", "receipts"],
  error: ["error"],
  drop: ["empty"],
  await: ["empty"],
  receipt: ["receipts", "empty"],
};

/** Option flags, one byte after the route. */
export const FLAG_SAMPLING = 0x01;
export const FLAG_SKIP_SAMPLE = 0x02;
export const FLAG_FP16_ACTIVATIONS = 0x04;
export const FLAG_LOGPROBS = 0x08;
export const KNOWN_FLAGS = FLAG_SAMPLING | FLAG_SKIP_SAMPLE | FLAG_FP16_ACTIVATIONS | FLAG_LOGPROBS;
/** Sampling block: float64 temperature, uint32 top-k, float64 top-p, uint32 seed. */
export const SAMPLING_LENGTH = 24;

/** True when typed arrays already hold little-endian bytes (every platform Node ships on today). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A decoded frame always carries a voucher and a route (empty when absent on the wire). */
export type DecodedFrame = Frame & { voucher: Uint8Array; route: readonly RouteHop[] };
