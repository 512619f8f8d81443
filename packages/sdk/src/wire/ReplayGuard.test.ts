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

  test("finished sessions are forgotten as time passes, not only when the guard is full", () => {
    const guard = new ReplayGuard({ maxAgeMs: 1000 });
    // 5,000 sessions of one frame each, one every 10 ms: at most 1 s of them (101) can still be replayed.
    for (let i = 0; i < 5000; i++) {
      const at = now + i * 10;
      const id = new Uint8Array(16);
      new DataView(id.buffer).setUint32(0, i);
      guard.admit(id, 0, at, at);
    }
    expect(guard.size).toBeLessThanOrEqual(101);
    expect(guard.size).toBeGreaterThan(0);
  });
});
