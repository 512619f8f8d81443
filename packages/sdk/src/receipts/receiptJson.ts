import type { Hex } from "viem";
import { z } from "zod";
import { ReceiptFormatError } from "./errors.js";
import type { SignedReceipt } from "./receipt.js";

const hex = (bytes: number) =>
  z
    .string()
    .regex(
      new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`),
      `expected ${bytes} bytes of hex`,
    ) as unknown as z.ZodType<Hex>;
const u32 = z.number().int().min(0).max(0xffffffff);

/** A signed receipt as JSON (what the gateway returns and `teetee receipt verify` reads): `issuedAt` a decimal string. */
export const signedReceiptSchema = z.object({
  receipt: z.object({
    modelId: hex(32),
    shardIndex: z.number().int().min(0).max(0xffff),
    sessionId: hex(16),
    positionStart: u32,
    positionCount: u32,
    paramsHash: hex(32),
    inputHash: hex(32),
    outputHash: hex(32),
    previousReceipt: hex(32),
    issuedAt: z
      .union([z.string().regex(/^\d+$/, "expected a decimal integer"), z.number().int().min(0)])
      .transform((value) => BigInt(value)),
  }),
  signature: z
    .string()
    .regex(/^0x[0-9a-fA-F]{130}$/, "expected a 65-byte signature") as unknown as z.ZodType<Hex>,
});

export type SignedReceiptJson = z.input<typeof signedReceiptSchema>;

/** A signed receipt as JSON: bigints as decimal strings. */
export function signedReceiptJson({ receipt, signature }: SignedReceipt): SignedReceiptJson {
  return { receipt: { ...receipt, issuedAt: receipt.issuedAt.toString() }, signature };
}

/**
 * Reads a signed receipt from parsed JSON.
 * @throws ReceiptFormatError naming every malformed field in `details`.
 */
export function parseSignedReceipt(value: unknown, source = "receipt"): SignedReceipt {
  const parsed = signedReceiptSchema.safeParse(value);
  if (!parsed.success) {
    throw new ReceiptFormatError(`The ${source} is malformed`, { details: z.prettifyError(parsed.error) });
  }
  return parsed.data as SignedReceipt;
}
