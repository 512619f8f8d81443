import { z } from "zod";
import { EventLogError } from "./errors.js";

/** One entry of a dstack event log, as `GetQuote` returns it (hex strings without `0x`). */
export type DstackEvent = {
  imr: number;
  event_type: number;
  digest: string;
  event: string;
  event_payload: string;
};

const hexString = z.string().regex(/^(?:[0-9a-fA-F]{2})*$/, "expected an even-length hex string");

const dstackEventSchema = z.object({
  imr: z.number().int().min(0).max(3),
  event_type: z.number().int().min(0).max(0xffffffff),
  digest: hexString,
  event: z.string(),
  event_payload: hexString,
});

const eventLogSchema = z.array(dstackEventSchema).max(4096);

/**
 * Parses and validates an event log (the JSON string dstack returns, or its parsed array).
 * Throws {@link EventLogError} on anything malformed, so later replay never sees bad input.
 */
export function parseEventLog(eventLog: string | readonly unknown[]): DstackEvent[] {
  let raw: unknown = eventLog;
  if (typeof eventLog === "string") {
    try {
      raw = JSON.parse(eventLog);
    } catch (cause) {
      throw new EventLogError("Event log is not valid JSON", { cause });
    }
  }
  const parsed = eventLogSchema.safeParse(raw);
  if (!parsed.success) {
    throw new EventLogError("Event log does not have the dstack shape", { details: parsed.error.message });
  }
  return parsed.data;
}
