import type { DecodedFrame } from "@teetee/sdk/wire";
import type { Address, Hex } from "viem";

/** What a payment hook sees of a frame: never its payload. */
export type PaymentContext = {
  runner: Address;
  modelId: Hex;
  shardIndex: number;
  kind: DecodedFrame["kind"];
  sessionId: Uint8Array;
  positionStart: number;
  positionCount: number;
  /** The frame's voucher bytes (empty when none). */
  voucher: Uint8Array;
};

/**
 * The seam where vouchers are checked before a frame is served. Throw `PaymentRequiredError` (402) to refuse;
 * resolve to serve. The default allows everything until voucher checks land.
 */
export type PaymentHook = { authorize: (context: PaymentContext) => void | Promise<void> };

export const allowAllPayments: PaymentHook = { authorize: () => undefined };
