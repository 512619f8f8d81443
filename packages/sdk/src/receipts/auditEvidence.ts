import { type Address, getAddress, type Hex, isAddress, keccak256, stringToBytes } from "viem";
import { z } from "zod";
import { ReceiptError, ReceiptFormatError } from "./errors.js";
import { ReceiptHasher } from "./ReceiptHasher.js";
import { recoverReceiptSigner, type SignedReceipt } from "./receipt.js";
import { type SignedReceiptJson, signedReceiptJson, signedReceiptSchema } from "./receiptJson.js";

/**
 * A frame's payload as evidence carries it: token ids, fp32 activation rows (base64 of the little-endian bytes), a
 * sampled token, or nothing (a prefill chunk that sampled nothing).
 */
export type EvidencePayload =
  | { type: "tokens"; tokenIds: number[] }
  | { type: "hidden"; width: number; data: string }
  | { type: "sample"; tokenId: number }
  | { type: "empty" };

/** One frame the audited runner and the replica both computed from the same input. */
export type EvidenceFrame = {
  kind: "prefill" | "decode";
  positionStart: number;
  positionCount: number;
  skipSample: boolean;
  input: EvidencePayload;
  audited: EvidencePayload;
  replica: EvidencePayload;
};

/**
 * What an auditor found when a replica of a shard, given exactly the audited runner's inputs, answered otherwise:
 * both runners' signed receipts over those frames (so each is bound to its outputs), the frames, the sampling and
 * the tolerance. Anyone rechecks it offline: {@link checkAuditEvidence} for the signatures and hashes, then the
 * shard's weights (`teetee audit check`) to see which side the weights agree with.
 */
export type AuditEvidence = {
  version: 1;
  chainId: number;
  runnerRegistry: Address;
  modelId: Hex;
  shardIndex: number;
  /** The last shard's sampling (greedy unless the audited request sampled). */
  sampling: { temperature: number; topK: number; topP: number; seed: number };
  /** Largest activation difference allowed, relative to the reference row's RMS ({@link activationError}). */
  tolerance: number;
  frames: EvidenceFrame[];
  audited: SignedReceipt;
  replica: SignedReceipt;
};

/**
 * The default tolerance for activations between runners of the same shard: the largest difference of a row,
 * relative to that row's RMS. Same weights and the same graph differ across CPUs only by kernel choice and reduction
 * order (onnxruntime's MLAS picks AVX2 or AVX-512 paths, threads split sums differently): ~1e-6 relative per
 * operator, ~1e-4 after a shard of layers in fp32. Other weights move activations by O(1) of their RMS. 1e-2 sits
 * two orders from both. Quantized shards round activations to int8 per block, where a kernel difference can flip one
 * rounding step: give them a looser tolerance (the `tolerance` option) rather than count such a flip as cheating.
 */
export const DEFAULT_ACTIVATION_TOLERANCE = 1e-2;

/** Activation rows of `width` values from an evidence payload. */
export function evidenceRows(payload: EvidencePayload): Float32Array {
  if (payload.type !== "hidden") throw new ReceiptError(`Expected activation rows, got ${payload.type}`);
  const bytes = base64ToBytes(payload.data);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** An evidence payload of fp32 activation rows (copied, little-endian). */
export function hiddenEvidence(data: Float32Array, width: number): EvidencePayload {
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { type: "hidden", width, data: bytesToBase64(bytes) };
}

/**
 * How far `candidate` is from `reference`: for activations the largest |difference| of a row over that row's RMS,
 * the largest over rows; for samples 0 when the token is the same and Infinity otherwise; 0 for two empties.
 */
export function activationError(candidate: EvidencePayload, reference: EvidencePayload): number {
  if (candidate.type !== reference.type) return Number.POSITIVE_INFINITY;
  if (candidate.type === "sample")
    return candidate.tokenId === (reference as { tokenId: number }).tokenId ? 0 : Infinity;
  if (candidate.type === "empty") return 0;
  if (candidate.type === "tokens") {
    const other = (reference as { tokenIds: number[] }).tokenIds;
    return candidate.tokenIds.length === other.length && candidate.tokenIds.every((t, i) => t === other[i])
      ? 0
      : Number.POSITIVE_INFINITY;
  }
  const a = evidenceRows(candidate);
  const b = evidenceRows(reference);
  const width = candidate.width;
  if (a.length !== b.length || width !== (reference as { width: number }).width)
    return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let row = 0; row < a.length / width; row++) {
    let squares = 0;
    let largest = 0;
    for (let i = row * width; i < (row + 1) * width; i++) {
      squares += b[i]! * b[i]!;
      const difference = Math.abs(a[i]! - b[i]!);
      if (!(difference <= largest)) largest = difference; // NaN counts as the largest difference
    }
    const rms = Math.sqrt(squares / width);
    worst = Math.max(worst, Number.isNaN(largest) ? Infinity : largest / Math.max(rms, 1e-12));
  }
  return worst;
}

/** The ReceiptHasher digest of a side's payloads: its inputs, or its outputs (samples at the next position). */
function digestOf(frames: readonly EvidenceFrame[], side: "input" | "audited" | "replica"): Hex {
  const hasher = new ReceiptHasher();
  for (const frame of frames) {
    const payload = frame[side];
    const start = side === "input" ? frame.positionStart : frame.positionStart;
    if (payload.type === "tokens") hasher.tokens(start, payload.tokenIds);
    else if (payload.type === "hidden") hasher.rows(start, evidenceRows(payload), payload.width);
    else if (payload.type === "sample")
      hasher.tokens(frame.positionStart + frame.positionCount, [payload.tokenId]);
  }
  return hasher.digest();
}

export type AuditEvidenceCheck = {
  /** Who signed each receipt (recovered; the chain says whose runner keys those are). */
  auditedSigner: Address;
  replicaSigner: Address;
  /** The frames are what both receipts commit to: inputs, each side's outputs, model, shard and positions. */
  bound: boolean;
  /** Why not, when not. */
  problems: string[];
  /** The audited side's largest difference from the replica's, per frame. */
  errors: number[];
};

/**
 * Checks that an evidence bundle is what its two receipts commit to: both signed for the same model, shard and
 * positions, both inputs the frames' inputs, each output hash that side's outputs, and the two runners different.
 * It does not say who is right: the shard's weights do (`teetee audit check`).
 */
export async function checkAuditEvidence(evidence: AuditEvidence): Promise<AuditEvidenceCheck> {
  const domain = { chainId: evidence.chainId, runnerRegistry: evidence.runnerRegistry };
  const [auditedSigner, replicaSigner] = await Promise.all([
    recoverReceiptSigner(evidence.audited, domain),
    recoverReceiptSigner(evidence.replica, domain),
  ]);
  const problems: string[] = [];
  const input = digestOf(evidence.frames, "input");
  const positions = evidence.frames.reduce((n, f) => n + f.positionCount, 0);
  for (const [name, signed, side] of [
    ["audited", evidence.audited, "audited"],
    ["replica", evidence.replica, "replica"],
  ] as const) {
    const r = signed.receipt;
    if (r.modelId.toLowerCase() !== evidence.modelId.toLowerCase() || r.shardIndex !== evidence.shardIndex)
      problems.push(`the ${name} receipt is for another model or shard`);
    if (r.positionStart !== 0 || r.positionCount !== positions)
      problems.push(
        `the ${name} receipt covers positions ${r.positionStart}+${r.positionCount}, not 0+${positions}`,
      );
    if (r.inputHash !== input) problems.push(`the ${name} receipt's input is not the frames' input`);
    if (r.outputHash !== digestOf(evidence.frames, side))
      problems.push(`the ${name} receipt's output is not the ${name} outputs`);
  }
  if (auditedSigner === replicaSigner) problems.push("both receipts are signed by the same key");
  const errors = evidence.frames.map((frame) => activationError(frame.audited, frame.replica));
  return { auditedSigner, replicaSigner, bound: problems.length === 0, problems, errors };
}

/** The evidence hash a divergence slash names (`Staking.slash(..., evidenceHash)`): keccak256 of its JSON text. */
export function auditEvidenceHash(json: string): Hex {
  return keccak256(stringToBytes(json));
}

const payloadSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("tokens"), tokenIds: z.array(z.number().int().min(0).max(0xffffffff)) }),
  z.object({ type: z.literal("hidden"), width: z.number().int().positive(), data: z.string() }),
  z.object({ type: z.literal("sample"), tokenId: z.number().int().min(0) }),
  z.object({ type: z.literal("empty") }),
]);

export const auditEvidenceSchema = z.object({
  version: z.literal(1),
  chainId: z.number().int().positive(),
  runnerRegistry: z
    .string()
    .refine((value) => isAddress(value, { strict: false }), "expected an address")
    .transform((value) => getAddress(value)),
  modelId: z.string().regex(/^0x[0-9a-fA-F]{64}$/) as unknown as z.ZodType<Hex>,
  shardIndex: z.number().int().min(0).max(0xffff),
  sampling: z.object({
    temperature: z.number(),
    topK: z.number().int(),
    topP: z.number(),
    seed: z.number().int(),
  }),
  tolerance: z.number().positive(),
  frames: z
    .array(
      z.object({
        kind: z.enum(["prefill", "decode"]),
        positionStart: z.number().int().min(0),
        positionCount: z.number().int().positive(),
        skipSample: z.boolean(),
        input: payloadSchema,
        audited: payloadSchema,
        replica: payloadSchema,
      }),
    )
    .min(1),
  audited: signedReceiptSchema,
  replica: signedReceiptSchema,
});

export type AuditEvidenceJson = Omit<z.input<typeof auditEvidenceSchema>, "audited" | "replica"> & {
  audited: SignedReceiptJson;
  replica: SignedReceiptJson;
};

export function auditEvidenceJson(evidence: AuditEvidence): AuditEvidenceJson {
  return {
    ...evidence,
    audited: signedReceiptJson(evidence.audited),
    replica: signedReceiptJson(evidence.replica),
  };
}

/** @throws ReceiptFormatError naming every malformed field. */
export function parseAuditEvidence(value: unknown, source = "audit evidence"): AuditEvidence {
  const parsed = auditEvidenceSchema.safeParse(value);
  if (!parsed.success) {
    throw new ReceiptFormatError(`The ${source} is malformed`, { details: z.prettifyError(parsed.error) });
  }
  return parsed.data as AuditEvidence;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
