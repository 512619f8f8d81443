import fc from "fast-check";
import { RunnerFullError } from "./errors.js";
import { type KvCacheSource, type RunnerSession, SessionStore } from "./SessionStore.js";

/** A shard whose KV bytes are what it says it will allocate: 10 bytes a position, nothing like doubling buffers. */
function kvSource(): KvCacheSource & { held: Map<string, number> } {
  const held = new Map<string, number>();
  return {
    held,
    kvBytesPerToken: 1,
    kvCacheBytes: (id) => held.get(id) ?? 0,
    projectedKvBytes: (_id, total) => total * 10,
    drop: (id) => void held.delete(id),
    batchBufferBytes: 0,
    batchBufferPeakBytes: 0,
    manifest: { config: { maxPositions: 1024 } },
  };
}

const limits = { maxSessions: 4, maxKvBytes: 100, maxSequenceLength: 1024, idleTimeoutMs: 60_000 };

describe("SessionStore", () => {
  test("reserves KV memory as the shard projects it, and refuses past the limit without touching others", () => {
    const kv = kvSource();
    const store = new SessionStore(kv, limits);
    const first = store.acquire("a", "prefill", 0, 6, 0);
    first.position = 6;
    kv.held.set("a", 60);
    store.release(first, 0);
    // 60 held + 50 projected for b is over 100.
    expect(() => store.acquire("b", "prefill", 0, 5, 0)).toThrow(RunnerFullError);
    expect(store.get("b")).toBeUndefined();
    expect(store.get("a")?.position).toBe(6);
    expect(store.acquire("c", "prefill", 0, 4, 0).key).toBe("c");
  });

  test("a session's own growth counts what it holds once", () => {
    const kv = kvSource();
    const store = new SessionStore(kv, limits);
    const session = store.acquire("a", "prefill", 0, 9, 0);
    session.position = 9;
    kv.held.set("a", 90);
    store.release(session, 0);
    expect(store.acquire("a", "decode", 9, 1, 0).position).toBe(9);
    store.release(session, 0);
    expect(() => store.acquire("a", "decode", 9, 2, 0)).toThrow("KV cache memory is full");
  });

  test("a burst of new sessions is admitted against the bytes reserved so far, before any of them allocates", () => {
    const kv = kvSource();
    const store = new SessionStore(kv, limits);
    store.acquire("a", "prefill", 0, 6, 0);
    // a has allocated nothing yet, but its 60 bytes are reserved: 60 + 50 is over 100.
    expect(() => store.acquire("b", "prefill", 0, 5, 0)).toThrow(RunnerFullError);
    expect(store.get("b")).toBeUndefined();
    expect(store.acquire("c", "prefill", 0, 4, 0).key).toBe("c");
    expect(store.kvUsage).toMatchObject({ allocatedBytes: 0, reservedBytes: 100, limitBytes: 100 });
  });

  test("a reservation turns into allocation as the step allocates, and ends when the step is released", () => {
    const kv = kvSource();
    const store = new SessionStore(kv, limits);
    const session = store.acquire("a", "prefill", 0, 6, 0);
    kv.held.set("a", 40);
    expect(store.kvUsage).toMatchObject({ allocatedBytes: 40, reservedBytes: 20 });
    kv.held.set("a", 60);
    session.position = 6;
    store.release(session, 0);
    expect(store.kvUsage).toMatchObject({ allocatedBytes: 60, reservedBytes: 0 });
    expect(store.acquire("b", "prefill", 0, 4, 0).key).toBe("b");
  });

  test("a failed step's reservation is released, so the room it held admits the next session", () => {
    const kv = kvSource();
    const store = new SessionStore(kv, limits);
    const failed = store.acquire("a", "prefill", 0, 8, 0);
    expect(() => store.acquire("b", "prefill", 0, 5, 0)).toThrow(RunnerFullError);
    // The step failed before allocating: the session never got a position and is dropped on release.
    store.release(failed, 0);
    expect(store.kvUsage.reservedBytes).toBe(0);
    expect(store.acquire("b", "prefill", 0, 5, 0).key).toBe("b");
  });

  test("dropping or evicting a session releases its reservation", () => {
    const kv = kvSource();
    const store = new SessionStore(kv, { ...limits, idleTimeoutMs: 1000 });
    store.acquire("a", "prefill", 0, 5, 0);
    store.drop("a");
    expect(store.kvUsage.reservedBytes).toBe(0);
    const idle = store.acquire("b", "prefill", 0, 5, 0);
    idle.position = 5;
    kv.held.set("b", 30);
    // Released with only 30 of its 50 bytes allocated: nothing stays reserved for a session at rest.
    store.release(idle, 0);
    expect(store.kvUsage).toMatchObject({ allocatedBytes: 30, reservedBytes: 0 });
    const busy = store.acquire("c", "prefill", 0, 5, 0);
    expect(store.evictIdle(5000)).toBe(1);
    expect(store.kvUsage).toMatchObject({ allocatedBytes: 0, reservedBytes: 50 });
    store.release(busy, 5000);
    expect(store.kvUsage.reservedBytes).toBe(0);
  });

  test("allocated plus reserved never exceeds the limit, whatever the order of admissions and releases", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            session: fc.integer({ min: 0, max: 5 }),
            count: fc.integer({ min: 1, max: 6 }),
            allocate: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        (ops) => {
          const kv = kvSource();
          const store = new SessionStore(kv, { ...limits, maxSessions: 6 });
          const acquired = new Map<string, { session: RunnerSession; total: number }>();
          for (const op of ops) {
            const key = String(op.session);
            const held = acquired.get(key);
            if (held !== undefined) {
              // The step completes: it allocates what was projected (or fails having allocated nothing).
              if (op.allocate) {
                kv.held.set(key, held.total * 10);
                held.session.position = held.total;
              }
              store.release(held.session, 0);
              acquired.delete(key);
            } else {
              const position = store.get(key)?.position ?? 0;
              try {
                const session = store.acquire(
                  key,
                  position === 0 ? "prefill" : "decode",
                  position,
                  op.count,
                  0,
                );
                acquired.set(key, { session, total: position + op.count });
              } catch (error) {
                expect(error).toBeInstanceOf(RunnerFullError);
              }
            }
            const { allocatedBytes, reservedBytes } = store.kvUsage;
            expect(allocatedBytes + reservedBytes).toBeLessThanOrEqual(limits.maxKvBytes);
          }
        },
      ),
    );
  });
});
