import type { Hex } from "viem";
import { EventLogError } from "./errors.js";
import type { DstackEvent } from "./eventLog.js";

/** The event that ends dstack's boot section of RTMR3; everything after it was emitted by the app. */
export const BOOT_COMPLETE_EVENT = "system-ready";

/**
 * dstack's boot events in the order its guest OS extends them into RTMR3 (as in real dstack logs: see
 * `shared/testdata/dstack`); the optional ones are absent from older releases.
 */
const BOOT_SEQUENCE: readonly { name: string; optional?: true }[] = [
  { name: "system-preparing" },
  { name: "app-id" },
  { name: "compose-hash" },
  { name: "instance-id" },
  { name: "boot-mr-done" },
  { name: "os-image-hash", optional: true },
  { name: "key-provider" },
  { name: "storage-fs", optional: true },
  { name: BOOT_COMPLETE_EVENT },
];

/**
 * The RTMR3 events of the boot section, checked against dstack's fixed order. An event's digest is
 * SHA-384(type ":" name ":" payload), so a name holding ":" could move bytes between name and payload and keep the
 * digest: such names are refused anywhere in RTMR3. Identity is read from the boot section only, because any app
 * can emit events (of any name) after boot.
 * @throws EventLogError for a name with ":", a boot section out of order, with an unknown event, or never completed
 */
export function bootEvents(events: readonly DstackEvent[]): DstackEvent[] {
  const rtmr3 = events.filter((event) => event.imr === 3);
  const colon = rtmr3.find((event) => event.event.includes(":"));
  if (colon !== undefined) {
    throw new EventLogError('Event log has an RTMR3 event whose name contains ":"', {
      details: `"${colon.event}": its digest is also that of another name and payload`,
    });
  }
  const end = rtmr3.findIndex((event) => event.event === BOOT_COMPLETE_EVENT);
  if (end === -1) throw new EventLogError(`Event log has no "${BOOT_COMPLETE_EVENT}" event in RTMR3`);
  const boot = rtmr3.slice(0, end + 1);
  let next = 0;
  for (const event of boot) {
    while (BOOT_SEQUENCE[next]?.optional === true && BOOT_SEQUENCE[next]!.name !== event.event) next += 1;
    if (BOOT_SEQUENCE[next]?.name !== event.event) {
      throw new EventLogError("Event log's boot section is not dstack's", {
        details: `unexpected "${event.event}"; expected ${BOOT_SEQUENCE.map((e) => e.name).join(", ")} in this order`,
      });
    }
    next += 1;
  }
  return boot;
}

/** The payload of the boot event with this name, as 0x-hex (undefined when this dstack release does not emit it). */
export function findRuntimeEventPayload(events: readonly DstackEvent[], name: string): Hex | undefined {
  const payload = bootEvents(events).find((event) => event.event === name)?.event_payload;
  return payload === undefined ? undefined : `0x${payload.toLowerCase()}`;
}

/** The dstack `compose-hash` measured into RTMR3 at boot (32 bytes). */
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

/** dstack's `os-image-hash` boot event (32 bytes), or undefined when this CVM's dstack emitted none (no KMS). */
export function extractOsImageHash(events: readonly DstackEvent[]): Hex | undefined {
  const osImageHash = findRuntimeEventPayload(events, "os-image-hash");
  if (osImageHash !== undefined && osImageHash.length !== 66) {
    throw new EventLogError("os-image-hash event payload is not 32 bytes", { details: osImageHash });
  }
  return osImageHash;
}
