import { sha384 } from "@noble/hashes/sha2";
import { EventLogError } from "./errors.js";
import { computeEventDigest, DSTACK_RUNTIME_EVENT_TYPE } from "./eventDigest.js";
import type { DstackEvent } from "./eventLog.js";

/** Extends a 48-byte measurement register: SHA-384(rtmr || digest). */
export function extendRtmr(rtmr: Uint8Array, digest: Uint8Array): Uint8Array {
  return sha384.create().update(rtmr).update(digest).digest();
}

/**
 * Folds the runtime events of one register from 48 zero bytes, recomputing every digest from
 * the event's name and payload. Events of other types cannot be recomputed this way, so a
 * log that puts one into the register is refused rather than trusted.
 */
export function replayRtmr(events: readonly DstackEvent[], imr = 3): Uint8Array {
  let rtmr: Uint8Array = new Uint8Array(48);
  for (const [index, event] of events.entries()) {
    if (event.imr !== imr) continue;
    if (event.event_type !== DSTACK_RUNTIME_EVENT_TYPE) {
      throw new EventLogError(`Event ${index} in RTMR${imr} is not a dstack runtime event`, {
        details: `event_type 0x${event.event_type.toString(16)}; only 0x08000001 can be recomputed from its payload`,
      });
    }
    rtmr = extendRtmr(rtmr, computeEventDigest(event));
  }
  return rtmr;
}
