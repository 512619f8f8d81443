import { ReadCache } from "./readCache.js";

describe("ReadCache", () => {
  test("reuses a read within maxAgeMs and reads again after it", async () => {
    let now = 0;
    const cache = new ReadCache(1000, () => now);
    let reads = 0;
    const read = async () => ++reads;
    expect(await cache.get("a", read)).toBe(1);
    now = 999;
    expect(await cache.get("a", read)).toBe(1);
    now = 1000;
    expect(await cache.get("a", read)).toBe(2);
  });

  test("a failed read is not kept", async () => {
    const cache = new ReadCache(1000, () => 0);
    await expect(cache.get("a", () => Promise.reject(new Error("rpc down")))).rejects.toThrow("rpc down");
    await Promise.resolve();
    expect(await cache.get("a", async () => 7)).toBe(7);
  });

  test("expired entries of keys never read again are dropped, so many buyers over time stay bounded", async () => {
    let now = 0;
    const cache = new ReadCache(1000, () => now);
    // 10,000 keys (buyers, signers, routes) read once each, one every 10 ms: 1 s of them is still fresh.
    for (let i = 0; i < 10_000; i++) {
      now = i * 10;
      await cache.get(`alloc:${i}`, async () => i);
    }
    expect(cache.size).toBeLessThanOrEqual(100);
    expect(cache.size).toBeGreaterThan(0);
  });

  test("a key read again moves to the back, so a refreshed entry is not dropped with older ones", async () => {
    let now = 0;
    const cache = new ReadCache(1000, () => now);
    await cache.get("old", async () => 1);
    now = 500;
    await cache.get("other", async () => 2);
    now = 1200;
    // "old" has expired and is read again; "other" is still fresh.
    expect(await cache.get("old", async () => 3)).toBe(3);
    now = 1600;
    await cache.get("third", async () => 4);
    expect(cache.size).toBe(2);
  });
});
