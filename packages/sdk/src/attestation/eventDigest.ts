import { sha384 } from "@noble/hashes/sha2";
import { hexToBytes } from "viem";
import type { DstackEvent } from "./eventLog.js";

/** The event type dstack gives the runtime events it extends into RTMR3. */
export const DSTACK_RUNTIME_EVENT_TYPE = 0x08000001;

const encoder = new TextEncoder();
const separator = encoder.encode(":");

/**
 * Recomputes an event's digest as dstack extends it:
 * SHA-384(le32(event_type) || ":" || event name || ":" || payload bytes).
 * Verifiers use this instead of the log's `digest` field, which the host could forge.
 */
export function computeEventDigest(
  event: Pick<DstackEvent, "event_type" | "event" | "event_payload">,
): Uint8Array {
  const type = new Uint8Array(4);
  new DataView(type.buffer).setUint32(0, event.event_type, true);
  const payload = hexToBytes(`0x${event.event_payload}`);
  return sha384
    .create()
    .update(type)
    .update(separator)
    .update(encoder.encode(event.event))
    .update(separator)
    .update(payload)
    .digest();
}
