import type { BatchStepResult, ForwardParams } from "@teetee/inference";
import { type BatchLimits, type BatchObservation, BatchScheduler, type BatchStep } from "./BatchScheduler.js";
import { RunnerFullError } from "./errors.js";

/**
 * A shard that records each batch and holds it until the test releases it, so a test decides what arrives while
 * a batch computes. Each step's "logits" is its last input id; activations echo the input rows.
 */
class FakeShard {
  readonly batches: ForwardParams[][] = [];
  readonly #gates: Array<() => void> = [];
  failing = new Set<string>();
  /** Bytes each session's decode step binds in the shard's batch buffers (default 0). */
  readonly bufferBytes = new Map<string, number>();
  buffersReleased = 0;

  batchBufferBytesPerStep = (sessionId: string): number => this.bufferBytes.get(sessionId) ?? 0;

  releaseBatchBuffers = (): void => {
    this.buffersReleased += 1;
  };

  forwardBatch = (steps: readonly ForwardParams[]): Promise<BatchStepResult[]> => {
    this.batches.push([...steps]);
    return new Promise((resolve) => {
      this.#gates.push(() =>
        resolve(
          steps.map((step): BatchStepResult => {
            if (this.failing.has(step.sessionId!))
              return { ok: false, error: new Error(`${step.sessionId} broke`) };
            if (step.inputIds !== undefined) {
              const ids = [...(step.inputIds as Uint32Array)];
              return { ok: true, value: { logits: new Float32Array([ids.at(-1)!]), cachedLength: 0 } };
            }
            return {
              ok: true,
              value: { hiddenStates: Float32Array.from(step.hiddenStates!), cachedLength: 0 },
            };
          }),
        ),
      );
    });
  };

  /** Lets the oldest held batch finish, and waits until the scheduler has started the next one (if any). */
  async release(): Promise<void> {
    this.#gates.shift()!();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }

  /** The batches as [sessionId, positions] pairs. */
  get shapes(): Array<Array<[string, number]>> {
    return this.batches.map((batch) =>
      batch.map((s) => [s.sessionId!, (s.inputIds?.length ?? s.hiddenStates!.length / 2) as number]),
    );
  }
}

const limits = (overrides: Partial<BatchLimits> = {}): BatchLimits => ({
  maxBatchSize: 16,
  maxBatchPositions: 256,
  prefillChunk: 128,
  maxQueuedSteps: 64,
  batchKvBytes: 1024,
  ...overrides,
});

const tokens = (sessionId: string, kind: "prefill" | "decode", ids: number[]): BatchStep => ({
  sessionId,
  kind,
  input: { inputIds: Uint32Array.from(ids) },
  count: ids.length,
});

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

async function ticks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("BatchScheduler", () => {
  test("steps that arrive while a batch computes join the next batch, all together", async () => {
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits() });
    const first = scheduler.submit(tokens("a", "decode", [1]));
    await ticks();
    const later = ["b", "c", "d"].map((id, i) => scheduler.submit(tokens(id, "decode", [10 + i])));
    await ticks();
    expect(shard.shapes).toEqual([[["a", 1]]]);
    await shard.release();
    expect(shard.shapes[1]).toEqual([
      ["b", 1],
      ["c", 1],
      ["d", 1],
    ]);
    await shard.release();
    await expect(first).resolves.toMatchObject({ logits: new Float32Array([1]) });
    expect(await Promise.all(later)).toMatchObject(
      [10, 11, 12].map((id) => ({ logits: new Float32Array([id]) })),
    );
  });

  test("a batch holds at most maxBatchSize sequences and maxBatchPositions positions", async () => {
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({
      shard,
      hiddenSize: 2,
      limits: limits({ maxBatchSize: 2, maxBatchPositions: 5, prefillChunk: 4 }),
    });
    const all = [
      scheduler.submit(tokens("a", "decode", [1])),
      scheduler.submit(tokens("b", "decode", [2])),
      scheduler.submit(tokens("c", "decode", [3])),
      scheduler.submit(tokens("p", "prefill", range(0, 6))),
    ];
    await ticks();
    for (let i = 0; i < 3; i++) await shard.release();
    await Promise.all(all);
    // Two decodes fill the first batch; then c and a chunk of p as far as the 5 positions go, then the rest of p.
    expect(shard.shapes).toEqual([
      [
        ["a", 1],
        ["b", 1],
      ],
      [
        ["c", 1],
        ["p", 4],
      ],
      [["p", 2]],
    ]);
  });

  test("a long prefill is computed in chunks while other sessions decode; its reply comes after the last chunk", async () => {
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits({ prefillChunk: 3 }) });
    let prefilled = false;
    const prefill = scheduler.submit(tokens("p", "prefill", range(100, 8))).then((out) => {
      prefilled = true;
      return out;
    });
    await ticks();
    const decode = scheduler.submit(tokens("d", "decode", [5]));
    await shard.release();
    expect(shard.batches[1]!.map((s) => [s.sessionId, [...(s.inputIds as Uint32Array)]])).toEqual([
      ["d", [5]],
      ["p", [103, 104, 105]],
    ]);
    await shard.release();
    await expect(decode).resolves.toMatchObject({ logits: new Float32Array([5]) });
    expect(prefilled).toBe(false);
    expect(shard.batches[2]!.map((s) => [...(s.inputIds as Uint32Array)])).toEqual([[106, 107]]);
    await shard.release();
    // Logits are the last chunk's: the prompt's last position.
    await expect(prefill).resolves.toMatchObject({ logits: new Float32Array([107]) });
  });

  test("a chunked prefill of activations answers every chunk's rows, in order", async () => {
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits({ prefillChunk: 2 }) });
    const rows = Float32Array.from(range(0, 10)); // 5 positions of width 2
    const out = scheduler.submit({
      sessionId: "h",
      kind: "prefill",
      input: { hiddenStates: rows },
      count: 5,
    });
    await ticks();
    for (let i = 0; i < 3; i++) await shard.release();
    expect(shard.shapes).toEqual([[["h", 2]], [["h", 2]], [["h", 1]]]);
    expect((await out).hiddenStates).toEqual(rows);
  });

  test("decode steps go first in arrival order, then prefill chunks round-robin", async () => {
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({
      shard,
      hiddenSize: 2,
      limits: limits({ maxBatchSize: 3, prefillChunk: 2 }),
    });
    const blocker = scheduler.submit(tokens("x", "decode", [0]));
    await ticks();
    const all = [
      scheduler.submit(tokens("p1", "prefill", range(0, 6))),
      scheduler.submit(tokens("p2", "prefill", range(0, 6))),
      scheduler.submit(tokens("p3", "prefill", range(0, 2))),
      scheduler.submit(tokens("d1", "decode", [1])),
      scheduler.submit(tokens("d2", "decode", [2])),
    ];
    for (let i = 0; i < 5; i++) await shard.release();
    await Promise.all([blocker, ...all]);
    expect(shard.shapes.map((batch) => batch.map(([id]) => id))).toEqual([
      ["x"],
      ["d1", "d2", "p1"],
      ["p2", "p3", "p1"],
      ["p2", "p1"],
      ["p2"],
    ]);
  });

  test("a session never has two steps in one batch", async () => {
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits() });
    const blocker = scheduler.submit(tokens("x", "decode", [0]));
    await ticks();
    const twice = [
      scheduler.submit(tokens("s", "decode", [1])),
      scheduler.submit(tokens("s", "decode", [2])),
    ];
    await shard.release();
    await shard.release();
    await shard.release();
    await Promise.all([blocker, ...twice]);
    expect(shard.shapes.slice(1)).toEqual([[["s", 1]], [["s", 1]]]);
  });

  test("a step that fails fails only its caller; the rest of its batch is answered", async () => {
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits() });
    shard.failing.add("bad");
    const good = scheduler.submit(tokens("good", "decode", [4]));
    const bad = scheduler.submit(tokens("bad", "decode", [5]));
    await ticks();
    expect(shard.shapes).toEqual([
      [
        ["good", 1],
        ["bad", 1],
      ],
    ]);
    await shard.release();
    await expect(bad).rejects.toThrow("bad broke");
    await expect(good).resolves.toMatchObject({ logits: new Float32Array([4]) });
  });

  test("a full queue refuses with a 503 RunnerFullError that says when to retry", async () => {
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits({ maxQueuedSteps: 2 }) });
    const running = scheduler.submit(tokens("r", "decode", [1]));
    await ticks();
    const queued = [
      scheduler.submit(tokens("a", "decode", [1])),
      scheduler.submit(tokens("b", "decode", [1])),
    ];
    const refused = await scheduler.submit(tokens("c", "decode", [1])).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RunnerFullError);
    expect((refused as RunnerFullError).status).toBe(503);
    expect((refused as RunnerFullError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(scheduler.queuedSteps).toBe(2);
    await shard.release();
    await shard.release();
    await Promise.all([running, ...queued]);
    expect(shard.shapes).toEqual([
      [["r", 1]],
      [
        ["a", 1],
        ["b", 1],
      ],
    ]);
  });

  test("the retry hint follows the drain rate: queued steps over steps completed per second", async () => {
    let now = 0;
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({
      shard,
      hiddenSize: 2,
      limits: limits({ maxBatchSize: 1 }),
      now: () => now,
    });
    expect(scheduler.retryAfterSeconds()).toBe(1);
    const done = [scheduler.submit(tokens("a", "decode", [1])), scheduler.submit(tokens("b", "decode", [1]))];
    const waiting = range(0, 9).map((i) => scheduler.submit(tokens(`w${i}`, "decode", [1])));
    await ticks();
    now = 1000;
    await shard.release();
    now = 2000;
    await shard.release();
    await Promise.all(done);
    // 2 steps in the 10 s window: 0.2 per second; 8 waiting (+1 for the refused one) take 45 s.
    expect(scheduler.queuedSteps).toBe(8);
    expect(scheduler.retryAfterSeconds()).toBe(45);
    for (let i = 0; i < 9; i++) await shard.release();
    await Promise.all(waiting);
  });

  test("observations report each batch's size, positions and time in queue; load reports utilization", async () => {
    let now = 0;
    const shard = new FakeShard();
    const seen: BatchObservation[] = [];
    const scheduler = new BatchScheduler({
      shard,
      hiddenSize: 2,
      limits: limits(),
      now: () => now,
      observe: (batch) => seen.push(batch),
    });
    const a = scheduler.submit(tokens("a", "prefill", range(0, 5)));
    await ticks();
    now = 500;
    const b = scheduler.submit(tokens("b", "decode", [1]));
    now = 2000;
    await shard.release();
    now = 2500;
    await shard.release();
    await Promise.all([a, b]);
    expect(seen).toEqual([
      { size: 1, positions: 5, seconds: 2, queuedSeconds: [0] },
      { size: 1, positions: 1, seconds: 0.5, queuedSeconds: [1.5] },
    ]);
    expect(scheduler.load()).toEqual({
      queuedSteps: 0,
      queuedPositions: 0,
      lastBatchSize: 1,
      utilization: 0.25,
      windowSeconds: 10,
    });
  });

  test("decode steps whose batch buffers would pass batchKvBytes run as consecutive shard calls, in order", async () => {
    const shard = new FakeShard();
    for (const [id, bytes] of Object.entries({ a: 40, b: 40, c: 40, d: 10 }))
      shard.bufferBytes.set(id, bytes);
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits({ batchKvBytes: 100 }) });
    const steps = [
      ...["a", "b", "c", "d"].map((id, i) => scheduler.submit(tokens(id, "decode", [i]))),
      scheduler.submit(tokens("p", "prefill", range(0, 3))),
    ];
    await ticks();
    // One batch, two calls: a and b bind 80 bytes, c would make 120; c and d bind 80; the prefill binds none.
    expect(shard.shapes).toEqual([
      [
        ["a", 1],
        ["b", 1],
      ],
    ]);
    await shard.release();
    expect(shard.shapes[1]).toEqual([
      ["c", 1],
      ["d", 1],
      ["p", 3],
    ]);
    await shard.release();
    expect(await Promise.all(steps)).toMatchObject(
      [0, 1, 2, 3, 2].map((id) => ({ logits: new Float32Array([id]) })),
    );
    expect(scheduler.load().lastBatchSize).toBe(5);
  });

  test("a step too wide for batchKvBytes runs alone, and the batch buffers are freed after it and when idle", async () => {
    const shard = new FakeShard();
    shard.bufferBytes.set("wide", 300);
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits({ batchKvBytes: 100 }) });
    const steps = ["a", "wide", "b"].map((id, i) => scheduler.submit(tokens(id, "decode", [i])));
    await ticks();
    await shard.release();
    expect(shard.buffersReleased).toBe(0);
    await shard.release();
    // The wide step's buffers are over the limit: freed at once, not kept for the next call.
    expect(shard.buffersReleased).toBe(1);
    await shard.release();
    await Promise.all(steps);
    expect(shard.shapes).toEqual([[["a", 1]], [["wide", 1]], [["b", 1]]]);
    // Nothing is waiting: the buffers go.
    expect(shard.buffersReleased).toBe(2);
  });

  test("the load window's records are trimmed as batches finish, so they stay bounded with nobody reading load", async () => {
    let now = 0;
    const shard = new FakeShard();
    const scheduler = new BatchScheduler({ shard, hiddenSize: 2, limits: limits(), now: () => now });
    // 1,000 one-step batches, one every 100 ms: 100 s of work, ten windows of 10 s.
    for (let i = 0; i < 1000; i++) {
      const step = scheduler.submit(tokens(`s${i}`, "decode", [i]));
      await ticks();
      now += 100;
      await shard.release();
      await step;
    }
    // One interval and one completion per batch of the last 10 s (101 batches end in [90 s, 100 s]).
    expect(scheduler.windowRecords).toBeLessThanOrEqual(2 * 101);
    expect(scheduler.load().utilization).toBeCloseTo(1, 1);
  });

  test("limits must be positive integers", () => {
    const shard = new FakeShard();
    expect(() => new BatchScheduler({ shard, hiddenSize: 2, limits: limits({ prefillChunk: 0 }) })).toThrow(
      "prefillChunk must be a positive integer",
    );
  });
});
