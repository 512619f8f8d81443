import { type Address, getAddress, type Hex, isAddress } from "viem";
import { z } from "zod";
import { ReceiptFormatError } from "./errors.js";
import type { SignedReceipt } from "./receipt.js";
import { type SignedReceiptJson, signedReceiptJson, signedReceiptSchema } from "./receiptJson.js";

/**
 * Everything a buyer needs to check an answer offline: the route's receipt chain in shard order and the tokens it
 * commits to. Shard 0 was fed `promptTokenIds` then every completion token but the last (one record per position
 * from 0); the last shard sampled `completionTokenIds` from index `replayedTokens` on, at positions
 * `promptTokenIds.length + i` (after a failover the tokens before it reach the final route as replayed context,
 * so they are covered as its input, not as its output).
 */
export type ReceiptBundle = {
  version: 1;
  /** The response id the gateway answered with (`chatcmpl-…`, `cmpl-…`). */
  id: string;
  chainId: number;
  runnerRegistry: Address;
  modelId: Hex;
  /** The frames' 16-byte session id. */
  sessionId: Hex;
  promptTokenIds: number[];
  /** Every token sampled for the buyer, in order, the stop token included when one ended the answer. */
  completionTokenIds: number[];
  /** Completion tokens the final route was fed as context after a failover; 0 without one. */
  replayedTokens: number;
  /** The answer's text as the buyer got it (the choice's message content or the streamed deltas joined). */
  text: string;
  receipts: SignedReceipt[];
  /**
   * Set when the request failed for good, with why: `receipts` are then the final route's from shard 0 as far as
   * its runners could sign (verification names the missing shards), and shard 0 read every completion token, the
   * last one fed into the step that failed.
   */
  incomplete?: { error: string };
};

const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes of hex") as unknown as z.ZodType<Hex>;
const tokenIds = z.array(z.number().int().min(0).max(0xffffffff));

export const receiptBundleSchema = z.object({
  version: z.literal(1),
  id: z.string().min(1),
  chainId: z.number().int().positive(),
  runnerRegistry: z
    .string()
    .refine((value) => isAddress(value, { strict: false }), "expected an address")
    .transform((value) => getAddress(value)),
  modelId: bytes32,
  sessionId: z.string().regex(/^0x[0-9a-fA-F]{32}$/, "expected 16 bytes of hex") as unknown as z.ZodType<Hex>,
  promptTokenIds: tokenIds,
  completionTokenIds: tokenIds,
  replayedTokens: z.number().int().min(0),
  text: z.string(),
  receipts: z.array(signedReceiptSchema).min(1),
  incomplete: z.object({ error: z.string() }).optional(),
});

export type ReceiptBundleJson = Omit<z.input<typeof receiptBundleSchema>, "receipts"> & {
  receipts: SignedReceiptJson[];
};

/** A bundle as JSON (what the gateway returns, what `teetee receipt verify FILE` reads). */
export function receiptBundleJson(bundle: ReceiptBundle): ReceiptBundleJson {
  return { ...bundle, receipts: bundle.receipts.map(signedReceiptJson) };
}

/**
 * Reads a receipt bundle from parsed JSON.
 * @throws ReceiptFormatError naming every malformed field in `details`.
 */
export function parseReceiptBundle(value: unknown, source = "receipt bundle"): ReceiptBundle {
  const parsed = receiptBundleSchema.safeParse(value);
  if (!parsed.success) {
    throw new ReceiptFormatError(`The ${source} is malformed`, { details: z.prettifyError(parsed.error) });
  }
  return parsed.data as ReceiptBundle;
}
