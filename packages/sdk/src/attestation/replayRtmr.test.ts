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

  test("refuses a boot section with two compose-hash events", () => {
    const events = parseEventLog(readDstackResponse("quote-report.json").event_log);
    const at = events.findIndex((event) => event.event === "compose-hash");
    const doubled = [...events.slice(0, at + 1), { ...events[at]! }, ...events.slice(at + 1)];
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

describe("audit attack on the identity events (issue 12, item 10)", () => {
  const runtime = (event: string, payload: string) => ({
    imr: 3,
    event_type: 0x08000001,
    digest: "",
    event,
    event_payload: payload,
  });
  // The operator's real compose hash happens to start with 0x3a (":"); the allowlisted one is another.
  const real = `3a${"5c".repeat(31)}`;
  const allowed = "ab".repeat(32);
  const boot = (composeHash: ReturnType<typeof runtime>) => [
    runtime("system-preparing", ""),
    runtime("app-id", "11".repeat(20)),
    composeHash,
    runtime("instance-id", "22".repeat(20)),
    runtime("boot-mr-done", ""),
    runtime("key-provider", "33"),
    runtime("system-ready", ""),
  ];
  // What the TD really measured: its compose hash at boot, then an event the app emitted after boot.
  const measured = [...boot(runtime("compose-hash", real)), runtime("compose-hash", allowed)];
  // The same digests under other names: "compose-hash" ":" 0x3a || rest == "compose-hash:" ":" rest.
  const substituted = [...boot(runtime("compose-hash:", real.slice(2))), runtime("compose-hash", allowed)];

  test("attack: 10 a renamed boot event and an app-emitted compose-hash replay RTMR3 and pass as allowlisted", () => {
    expect(bytesToHex(replayRtmr(substituted, 3))).toBe(bytesToHex(replayRtmr(measured, 3)));
    expect(() => extractComposeHash(substituted)).toThrow(EventLogError);
    expect(() => extractComposeHash(substituted)).toThrow(/":"/);
  });

  test("identity events are read from the boot section only: an app event after system-ready never counts", () => {
    expect(extractComposeHash(measured)).toBe(`0x${real}`);
  });

  test("a boot section out of dstack's order, with a stranger, or without system-ready is refused", () => {
    const honest = boot(runtime("compose-hash", real));
    const swapped = [honest[0]!, honest[2]!, honest[1]!, ...honest.slice(3)];
    const stranger = [...honest.slice(0, 4), runtime("extra", ""), ...honest.slice(4)];
    const unfinished = honest.slice(0, -1);
    for (const log of [swapped, stranger, unfinished])
      expect(() => extractComposeHash(log)).toThrow(EventLogError);
  });
});
