import { BuyerQueue } from "./BuyerQueue.js";
import { NoCapacityError, TooManyRequestsError } from "./errors.js";
import { toOpenAIError } from "./toOpenAIError.js";

const buyer = "0xAbC0000000000000000000000000000000000001";
const other = "0x0000000000000000000000000000000000000002";

/** Settles microtasks so granted waiters run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("BuyerQueue", () => {
  test("runs a buyer's requests at most maxRunning at a time, first come first served", async () => {
    const queue = new BuyerQueue({ maxRunning: 2 });
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const entries = Array.from({ length: 5 }, (_, i) =>
      queue.enter(buyer).then((release) => {
        order.push(i);
        releases.push(release);
      }),
    );
    await tick();
    expect(order).toEqual([0, 1]);
    expect(queue.depth).toEqual({ running: 2, waiting: 3 });
    releases[0]!();
    releases[0]!(); // a second call does nothing
    await tick();
    expect(order).toEqual([0, 1, 2]);
    for (let i = 1; i < 5; i++) {
      releases[i]!();
      await tick();
    }
    await Promise.all(entries);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(queue.depth).toEqual({ running: 0, waiting: 0 });
  });

  test("buyers do not wait for each other, and case does not make a new buyer", async () => {
    const queue = new BuyerQueue({ maxRunning: 1 });
    const release = await queue.enter(buyer);
    let upper = false;
    const waiting = queue.enter(buyer.toUpperCase().replace("0X", "0x")).then((leave) => {
      upper = true;
      leave();
    });
    (await queue.enter(other))();
    await tick();
    expect(upper).toBe(false);
    expect(queue.depth).toEqual({ running: 1, waiting: 1 });
    release();
    await waiting;
    expect(upper).toBe(true);
    expect(queue.depth).toEqual({ running: 0, waiting: 0 });
  });

  test("a full line is refused with 429 and Retry-After, and leaves nothing behind", async () => {
    const queue = new BuyerQueue({ maxRunning: 1, maxWaiting: 1 });
    const release = await queue.enter(buyer);
    const waiting = queue.enter(buyer);
    const refused = await queue.enter(buyer).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect(refused).toMatchObject({ status: 429, retryAfterSeconds: 1 });
    expect(queue.depth).toEqual({ running: 1, waiting: 1 });
    release();
    (await waiting)();
    expect(queue.depth).toEqual({ running: 0, waiting: 0 });
  });

  test("a wait longer than maxWaitMs is refused with 429; the line moves on", async () => {
    const queue = new BuyerQueue({ maxRunning: 1, maxWaitMs: 20 });
    const release = await queue.enter(buyer);
    const refused = await queue.enter(buyer).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 429, code: "rate_limited" });
    release();
    expect(queue.depth).toEqual({ running: 0, waiting: 0 });
    (await queue.enter(buyer))();
  });

  test("a caller that goes away while waiting leaves the line at once", async () => {
    const queue = new BuyerQueue({ maxRunning: 1 });
    const release = await queue.enter(buyer);
    const abort = new AbortController();
    const gone = queue.enter(buyer, abort.signal).catch((error: unknown) => error);
    abort.abort(new Error("client closed"));
    expect(await gone).toMatchObject({ message: "client closed" });
    expect(queue.depth).toEqual({ running: 1, waiting: 0 });
    release();
    expect(queue.depth).toEqual({ running: 0, waiting: 0 });
  });

  test("under random arrivals, releases and aborts, never more than maxRunning run and every entry ends", async () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      const maxRunning = 1 + random(4);
      const queue = new BuyerQueue({ maxRunning, maxWaiting: 1000 });
      const buyers = [buyer, other];
      const held: Array<() => void> = [];
      const running = new Map<string, number>();
      const ended: Promise<unknown>[] = [];
      for (let step = 0; step < 200; step++) {
        const action = random(3);
        if (action === 0 || held.length === 0) {
          const who = buyers[random(2)]!;
          const abort = new AbortController();
          ended.push(
            queue.enter(who, abort.signal).then(
              (release) => {
                const now = (running.get(who) ?? 0) + 1;
                running.set(who, now);
                expect(now).toBeLessThanOrEqual(maxRunning);
                held.push(() => {
                  running.set(who, (running.get(who) ?? 1) - 1);
                  release();
                });
              },
              () => undefined,
            ),
          );
          if (random(10) === 0) abort.abort(new Error("gone"));
        } else {
          held.splice(random(held.length), 1)[0]!();
        }
        await tick();
      }
      while (held.length > 0 || queue.depth.waiting > 0) {
        held.shift()?.();
        await tick();
      }
      await Promise.all(ended);
      expect(queue.depth).toEqual({ running: 0, waiting: 0 });
    }
  });

  test("as a model's queue, a full line is 503 with Retry-After (the model is full, not the buyer)", async () => {
    const models = new BuyerQueue({ maxRunning: 2, maxWaiting: 1, full: "model" });
    const model = "0xab";
    const running = [await models.enter(model), await models.enter(model)];
    const waiting = models.enter(model);
    const refused = await models.enter(model).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NoCapacityError);
    expect(toOpenAIError(refused)).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    // Another model is not held up.
    (await models.enter("0xcd"))();
    for (const leave of running) leave();
    (await waiting)();
    expect(models.depth).toEqual({ running: 0, waiting: 0 });
  });
});
