import { RECEIPT_CLOCK_SKEW_SECONDS } from "@teetee/sdk/receipts";
import { chainClock } from "./chainClock.js";

/** A chain whose latest block is `timestamp`, counting reads: the clock's one chain read, isolated. */
function chain(timestamp: () => bigint | Error) {
  const reads = { count: 0 };
  const client = {
    getBlock: async () => {
      reads.count += 1;
      const value = timestamp();
      if (value instanceof Error) throw value;
      return { timestamp: value };
    },
  } as unknown as Parameters<typeof chainClock>[0];
  return { client, reads };
}

test("a chain ahead of the wall dates receipts by the chain; one behind, by the wall", async () => {
  let wall = 1_000_000_000;
  const ahead = chain(() => 1_000_015n);
  expect(await chainClock(ahead.client, { wall: () => wall })()).toBe(1_000_015n);
  const behind = chain(() => 999_900n);
  expect(await chainClock(behind.client, { wall: () => wall })()).toBe(1_000_000n);
  // The offset carries on with the wall between reads.
  const clock = chainClock(ahead.client, { wall: () => wall, cacheMs: 10_000 });
  await clock();
  wall += 3000;
  expect(await clock()).toBe(1_000_018n);
  expect(ahead.reads.count).toBe(2);
});

test("reads the chain at most once per cacheMs, and falls back to the wall when it cannot", async () => {
  let wall = 2_000_000_000;
  const { client, reads } = chain(() => new Error("rpc down"));
  const clock = chainClock(client, { wall: () => wall, cacheMs: 1000 });
  expect(await clock()).toBe(2_000_000n);
  const steady = chain(() => 2_000_100n);
  const cached = chainClock(steady.client, { wall: () => wall, cacheMs: 1000 });
  await cached();
  await cached();
  wall += 999;
  await cached();
  expect(steady.reads.count).toBe(1);
  wall += 1;
  await cached();
  expect(steady.reads.count).toBe(2);
  expect(reads.count).toBe(1);
});

test("never dates beyond the latest block by more than RECEIPT_CLOCK_SKEW_SECONDS, however far ahead the wall is", async () => {
  let wall = 3_000_000_000;
  const block = 2_999_000n;
  const { client } = chain(() => block);
  const clock = chainClock(client, { wall: () => wall, cacheMs: 10_000 });
  expect(await clock()).toBe(block + RECEIPT_CLOCK_SKEW_SECONDS);
  // Between reads too: the wall moving on does not carry it past the cap.
  wall += 5000;
  expect(await clock()).toBe(block + RECEIPT_CLOCK_SKEW_SECONDS);
  // A wall within the tolerance is kept as it is.
  const near = chain(() => 2_999_900n);
  expect(await chainClock(near.client, { wall: () => 3_000_000_000 })()).toBe(3_000_000n);
  const edge = chain(() => 3_000_000n - RECEIPT_CLOCK_SKEW_SECONDS);
  expect(await chainClock(edge.client, { wall: () => 3_000_000_000 })()).toBe(3_000_000n);
});
