import { bytesToHex, hexToBytes } from "viem";
import { readDstackResponse } from "../../test/fixtures.js";
import { EventLogError } from "./errors.js";
import { parseEventLog } from "./eventLog.js";
import { replayRtmr } from "./replayRtmr.js";
import { extractComposeHash } from "./runtimeEvents.js";

/** RTMR3 read straight from the TDX v4 quote body: header 48 + offset 472 in the TD report. */
function rtmr3Of(quoteHex: string): string {
  return bytesToHex(hexToBytes(`0x${quoteHex}`).slice(520, 568));
}

describe.each(["quote-report.json", "tdx-lite-getquote.json"] as const)("replayRtmr on %s", (name) => {
  const response = readDstackResponse(name);
  const events = parseEventLog(response.event_log);

  test("replays RTMR3 to the quote's value from recomputed digests", () => {
    expect(bytesToHex(replayRtmr(events, 3))).toBe(rtmr3Of(response.quote));
  });

  test("ignores forged digest fields", () => {
    const forged = events.map((event) => ({ ...event, digest: "00".repeat(48) }));
    expect(bytesToHex(replayRtmr(forged, 3))).toBe(rtmr3Of(response.quote));
  });

  test("a changed event payload no longer matches", () => {
    const changed = events.map((event) =>
      event.event === "compose-hash" ? { ...event, event_payload: "ff".repeat(32) } : event,
    );
    expect(bytesToHex(replayRtmr(changed, 3))).not.toBe(rtmr3Of(response.quote));
  });

  test("reordered RTMR3 events no longer match", () => {
    const imr3 = events.filter((event) => event.imr === 3);
    const [first, second, ...rest] = imr3;
    if (first === undefined || second === undefined) throw new Error("fixture has too few events");
    expect(bytesToHex(replayRtmr([second, first, ...rest], 3))).not.toBe(rtmr3Of(response.quote));
  });

  test("a non-runtime event smuggled into RTMR3 is refused", () => {
    const smuggled = [...events, { imr: 3, event_type: 1, digest: "", event: "x", event_payload: "" }];
    expect(() => replayRtmr(smuggled, 3)).toThrow(EventLogError);
  });
});

describe("extractComposeHash", () => {
  test("reads the compose hash of the real dstack log", () => {
    const events = parseEventLog(readDstackResponse("quote-report.json").event_log);
    expect(extractComposeHash(events)).toBe(
      "0x3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7",
    );
  });

  test("refuses a log with two compose-hash events", () => {
    const events = parseEventLog(readDstackResponse("quote-report.json").event_log);
    const doubled = [...events, { ...events.find((event) => event.event === "compose-hash")! }];
    expect(() => extractComposeHash(doubled)).toThrow(EventLogError);
  });

  test("refuses a log without one", () => {
    expect(() => extractComposeHash([])).toThrow(EventLogError);
  });
});

describe("parseEventLog", () => {
  test.each([
    ["not JSON", "{"],
    ["not an array", "{}"],
    ["bad imr", JSON.stringify([{ imr: 7, event_type: 1, digest: "", event: "", event_payload: "" }])],
    [
      "odd hex payload",
      JSON.stringify([{ imr: 3, event_type: 1, digest: "", event: "", event_payload: "abc" }]),
    ],
  ])("refuses %s", (_label, input) => {
    expect(() => parseEventLog(input)).toThrow(EventLogError);
  });
});
