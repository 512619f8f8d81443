import type { Hex } from "viem";
import { EventLogError } from "./errors.js";
import type { DstackEvent } from "./eventLog.js";

/**
 * The payload of the single RTMR3 event with this name, as 0x-hex. dstack writes each
 * identity event once at boot; a second one could only come from the app itself, so more
 * than one is refused instead of guessing which to believe.
 */
export function findRuntimeEventPayload(events: readonly DstackEvent[], name: string): Hex | undefined {
  const matches = events.filter((event) => event.imr === 3 && event.event === name);
  if (matches.length > 1) {
    throw new EventLogError(`Event log has ${matches.length} "${name}" events in RTMR3`);
  }
  const payload = matches[0]?.event_payload;
  return payload === undefined ? undefined : `0x${payload.toLowerCase()}`;
}

/** The dstack `compose-hash` measured into RTMR3 (32 bytes). */
export function extractComposeHash(events: readonly DstackEvent[]): Hex {
  const composeHash = findRuntimeEventPayload(events, "compose-hash");
  if (composeHash === undefined) {
    throw new EventLogError('Event log has no "compose-hash" event in RTMR3');
  }
  if (composeHash.length !== 66) {
    throw new EventLogError("compose-hash event payload is not 32 bytes", { details: composeHash });
  }
  return composeHash;
}
