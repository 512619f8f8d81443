import { RunnerFullError } from "./errors.js";
import { type KvCacheSource, SessionStore } from "./SessionStore.js";

/** A shard whose KV bytes are what it says it will allocate: 10 bytes a position, nothing like doubling buffers. */
function kvSource(): KvCacheSource & { held: Map<string, number> } {
  const held = new Map<string, number>();
  return {
    held,
    kvBytesPerToken: 1,
    kvCacheBytes: (id) => held.get(id) ?? 0,
    projectedKvBytes: (_id, total) => total * 10,
    drop: (id) => void held.delete(id),
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
});
