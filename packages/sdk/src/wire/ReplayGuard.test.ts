import { FrameReplayError, ReplayGuardFullError } from "./errors.js";
import { ReplayGuard } from "./ReplayGuard.js";

const now = 1_750_000_000_000;
const session = (byte: number) => new Uint8Array(16).fill(byte);

describe("ReplayGuard", () => {
  test("accepts each step once, in or out of order within the window", () => {
    const guard = new ReplayGuard({ window: 8 });
    for (const step of [0, 1, 3, 2, 7]) guard.admit(session(1), step, now, now);
    for (const step of [0, 2, 3, 7]) {
      expect(() => guard.admit(session(1), step, now, now)).toThrow(FrameReplayError);
    }
    guard.admit(session(1), 4, now, now);
  });

  test("refuses steps that fell behind the window", () => {
    const guard = new ReplayGuard({ window: 8 });
    guard.admit(session(1), 100, now, now);
    expect(() => guard.admit(session(1), 92, now, now)).toThrow(/behind the replay window/);
    guard.admit(session(1), 93, now, now);
  });

  test("keeps sessions apart", () => {
    const guard = new ReplayGuard();
    guard.admit(session(1), 5, now, now);
    guard.admit(session(2), 5, now, now);
    expect(guard.size).toBe(2);
  });

  test("refuses frames that are too old or from the future", () => {
    const guard = new ReplayGuard({ maxAgeMs: 1000, maxFutureSkewMs: 100 });
    expect(() => guard.admit(session(1), 0, now - 1001, now)).toThrow(/too old/);
    expect(() => guard.admit(session(1), 0, now + 101, now)).toThrow(/future/);
  });

  test("a steady stream of short sessions is forgotten as it ages, not only once the guard is full", () => {
    const guard = new ReplayGuard({ maxAgeMs: 1_000 });
    for (let i = 0; i < 5_000; i++) {
      const at = now + i * 10;
      guard.admit(
        Uint8Array.from({ length: 16 }, (_, b) => (i >> (8 * (b % 4))) & 0xff),
        0,
        at,
        at,
      );
    }
    // One session every 10 ms, each replayable for 1 s: about 100 live at any time, not all 5,000 seen.
    expect(guard.size).toBeLessThanOrEqual(102);
    expect(guard.size).toBeGreaterThanOrEqual(100);
  });

  test("bounded memory: forgets only sessions whose frames are all too old to replay", () => {
    const guard = new ReplayGuard({ maxSessions: 2, maxAgeMs: 1000 });
    guard.admit(session(1), 0, now, now);
    guard.admit(session(2), 0, now, now);
    expect(() => guard.admit(session(3), 0, now, now + 10)).toThrow(ReplayGuardFullError);
    guard.admit(session(3), 0, now + 1500, now + 1500);
    expect(guard.size).toBeLessThanOrEqual(2);
    // Session 1 was forgotten, but its old frame is refused by age, not accepted anew.
    expect(() => guard.admit(session(1), 0, now, now + 1500)).toThrow(FrameReplayError);
  });
});
