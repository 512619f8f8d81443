import { join } from "node:path";
import { ForwardInputError, SequenceTooLongError } from "../src/errors.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { createPrng } from "../src/prng.js";
import type { BatchStepResult, ForwardParams, ShardSession } from "../src/ShardSession.js";
import { Sampler } from "../src/sample.js";
import { openChain, releaseAll, tempDir } from "./helpers.js";

const tmp = tempDir("batch");
afterAll(() => tmp.cleanup());
const VOCAB = 256;
const MAX_POSITIONS = 96;

/** One step of a chain for many sequences at once: forwardBatch on every shard, hidden states handed row by row. */
async function chainBatch(
  shards: ShardSession[],
  steps: { sessionId: string; inputIds: number[] }[],
): Promise<{ results: BatchStepResult[]; hidden: (Float32Array | undefined)[][] }> {
  let current: (ForwardParams | undefined)[] = steps.map((s) => ({ ...s }));
  const hidden: (Float32Array | undefined)[][] = [];
  let results: BatchStepResult[] = [];
  for (const shard of shards) {
    const live = current.flatMap((p, i) => (p ? [i] : []));
    const out = await shard.forwardBatch(live.map((i) => current[i]!));
    results = new Array(steps.length);
    const next: (ForwardParams | undefined)[] = new Array(steps.length);
    const layer: (Float32Array | undefined)[] = new Array(steps.length);
    live.forEach((i, j) => {
      results[i] = out[j]!;
      const r = out[j]!;
      if (r.ok && r.value.hiddenStates) {
        layer[i] = r.value.hiddenStates;
        next[i] = { sessionId: steps[i]!.sessionId, hiddenStates: r.value.hiddenStates };
      }
    });
    for (let i = 0; i < steps.length; i++) {
      if (!results[i]) results[i] = { ok: false, error: new Error("refused by an earlier shard") };
    }
    hidden.push(layer);
    current = next;
  }
  return { results, hidden };
}

/** The same step through `forward` alone, shard by shard. */
async function chainOne(shards: ShardSession[], sessionId: string, inputIds: number[]) {
  const hidden: Float32Array[] = [];
  let hiddenStates: Float32Array | undefined;
  for (const shard of shards) {
    const out = await shard.forward({
      sessionId,
      ...(shard.isFirst ? { inputIds } : { hiddenStates: hiddenStates! }),
    });
    if (out.logits) return { hidden, logits: out.logits };
    hiddenStates = out.hiddenStates!;
    hidden.push(hiddenStates);
  }
  throw new Error("no last shard");
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

describe.each(["fp32", "int8", "int4"])(
  "forwardBatch on %s weights equals forward step by step",
  (format) => {
    const modelDir = join(tmp.path, `model-${format}`);
    let batched: ShardSession[];
    let single: ShardSession[];

    beforeAll(async () => {
      makeTestModel({ dir: modelDir, seed: 3, numLayers: 2, vocabSize: VOCAB, maxPositions: MAX_POSITIONS });
      const opts = format === "fp32" ? {} : { format };
      batched = await openChain(modelDir, join(tmp.path, `${format}-a`), [1], opts);
      single = await openChain(modelDir, join(tmp.path, `${format}-b`), [1], opts);
    });
    afterAll(async () => {
      await releaseAll(batched);
      await releaseAll(single);
    });

    test("1..16 sequences of different lengths, joining and leaving, hidden states and logits bit for bit", async () => {
      const random = createPrng(17);
      const token = () => 3 + Math.floor(random.next() * (VOCAB - 3));
      const active = new Set<string>();
      let next = 0;
      let mismatches = 0;
      let compared = 0;
      for (let round = 0; round < 24; round++) {
        // Joins: up to 16 live sequences; each new one starts with a prompt of its own length, alone.
        while (active.size < Math.min(16, 1 + round)) {
          const id = `s${next++}`;
          const prompt = Array.from({ length: 1 + (next % 7) * 3 }, token);
          const a = await chainBatch(batched, [{ sessionId: id, inputIds: prompt }]);
          const b = await chainOne(single, id, prompt);
          expect(a.results[0]!.ok).toBe(true);
          expect(
            bitsEqual((a.results[0] as { value: { logits: Float32Array } }).value.logits, b.logits),
          ).toBe(true);
          active.add(id);
        }
        // Leaves: every fifth round drops the two oldest.
        if (round % 5 === 4) {
          for (const id of [...active].slice(0, 2)) {
            active.delete(id);
            for (const s of [...batched, ...single]) s.drop(id);
          }
        }
        const ids = [...active].filter((_, i) => (i + round) % 3 !== 0 || active.size === 1);
        const steps = ids.map((sessionId) => ({ sessionId, inputIds: [token()] }));
        const runs = batched.map((s) => s.runCount);
        const a = await chainBatch(batched, steps);
        // One onnxruntime call per shard for the whole batch.
        expect(batched.map((s, i) => s.runCount - runs[i]!)).toEqual(batched.map(() => 1));
        for (const [i, step] of steps.entries()) {
          const b = await chainOne(single, step.sessionId, step.inputIds);
          const r = a.results[i]!;
          if (!r.ok) throw r.error;
          compared++;
          const same =
            bitsEqual(r.value.logits!, b.logits) && b.hidden.every((h, s) => bitsEqual(a.hidden[s]![i]!, h));
          if (!same) mismatches++;
          expect(r.value.cachedLength).toBe(single[0]!.cachedLength(step.sessionId));
        }
      }
      expect(compared).toBeGreaterThan(100);
      expect(mismatches).toBe(0);
    });
  },
);

describe("forwardBatch refuses a bad step alone", () => {
  const modelDir = join(tmp.path, "model-refuse");
  let shards: ShardSession[];

  beforeAll(async () => {
    makeTestModel({ dir: modelDir, seed: 4, numLayers: 2, vocabSize: VOCAB, maxPositions: MAX_POSITIONS });
    shards = await openChain(modelDir, join(tmp.path, "refuse"), []);
  });
  afterAll(() => releaseAll(shards));

  test("out-of-vocabulary, duplicate, busy and too-long steps fail with named errors; the others run", async () => {
    const [shard] = shards as [ShardSession];
    const long = Array.from({ length: MAX_POSITIONS }, (_, i) => 3 + i);
    await shard.forward({ sessionId: "full", inputIds: long });
    await shard.forward({ sessionId: "good", inputIds: [5, 6, 7] });
    const busy = shard.forward({ sessionId: "busy", inputIds: [9] });
    const results = await shard.forwardBatch([
      { sessionId: "good", inputIds: [8] },
      { sessionId: "bad", inputIds: [10 ** 6] },
      { sessionId: "good", inputIds: [9] },
      { sessionId: "busy", inputIds: [10] },
      { sessionId: "full", inputIds: [11] },
      { sessionId: "fresh", inputIds: [12] },
    ]);
    await busy;
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false, false, true]);
    const error = (i: number) => (results[i] as { error: Error }).error;
    expect(error(1)).toBeInstanceOf(ForwardInputError);
    expect(error(2)).toBeInstanceOf(ForwardInputError);
    expect(error(2).message).toMatch(/twice/);
    expect(error(3)).toBeInstanceOf(ForwardInputError);
    expect(error(3).message).toMatch(/in flight/);
    expect(error(4)).toBeInstanceOf(SequenceTooLongError);
    expect(shard.cachedLength("good")).toBe(4);
    expect(shard.cachedLength("full")).toBe(MAX_POSITIONS);
    expect(shard.cachedLength("bad")).toBe(0);
    expect(shard.cachedLength("fresh")).toBe(1);
  });
});

describe("forwardBatch with prefill chunks beside decode steps", () => {
  const modelDir = join(tmp.path, "model-mixed");
  let batched: ShardSession[];
  let single: ShardSession[];

  beforeAll(async () => {
    makeTestModel({ dir: modelDir, seed: 9, numLayers: 2, vocabSize: VOCAB, maxPositions: MAX_POSITIONS });
    batched = await openChain(modelDir, join(tmp.path, "mixed-a"), [1]);
    single = await openChain(modelDir, join(tmp.path, "mixed-b"), [1]);
  });
  afterAll(async () => {
    await releaseAll(batched);
    await releaseAll(single);
  });

  test("a chunk of 5, a new sequence's prompt and two decode steps in one batch equal forward, bit for bit", async () => {
    for (const [id, prompt] of [
      ["a", [4, 5, 6]],
      ["b", [7, 8]],
      ["c", [9, 10, 11, 12]],
    ] as const) {
      await chainBatch(batched, [{ sessionId: id, inputIds: [...prompt] }]);
      await chainOne(single, id, [...prompt]);
    }
    const steps = [
      { sessionId: "a", inputIds: [20] },
      { sessionId: "b", inputIds: [21, 22, 23, 24, 25] },
      { sessionId: "new", inputIds: [26, 27] },
      { sessionId: "c", inputIds: [28] },
    ];
    const runs = batched.map((s) => s.runCount);
    const { results } = await chainBatch(batched, steps);
    // Per shard: one call for the two decode steps, one per prefill chunk.
    expect(batched.map((s, i) => s.runCount - runs[i]!)).toEqual(batched.map(() => 3));
    for (const [i, step] of steps.entries()) {
      const r = results[i]!;
      if (!r.ok) throw r.error;
      const { logits } = await chainOne(single, step.sessionId, step.inputIds);
      expect(bitsEqual(r.value.logits!, logits)).toBe(true);
      expect(r.value.cachedLength).toBe(single[0]!.cachedLength(step.sessionId));
    }
  });
});

describe("greedy and seeded generation of N concurrent sequences equals N sequential runs", () => {
  const modelDir = join(tmp.path, "model-gen");
  let shards: ShardSession[];

  beforeAll(async () => {
    makeTestModel({ dir: modelDir, seed: 6, numLayers: 2, vocabSize: VOCAB, maxPositions: MAX_POSITIONS });
    shards = await openChain(modelDir, join(tmp.path, "gen"), [1], { format: "int4" });
  });
  afterAll(() => releaseAll(shards));

  test("6 sequences, 3 greedy and 3 seeded, 20 tokens each", async () => {
    const samplers = [0, 1, 2, 3, 4, 5].map(
      (i) => new Sampler(i < 3 ? { temperature: 0 } : { temperature: 0.9, topK: 40, seed: 100 + i }),
    );
    const prompts = samplers.map((_, i) =>
      Array.from({ length: 2 + i * 3 }, (_, j) => 3 + ((i * 31 + j * 7) % 250)),
    );
    const generated = async (concurrent: boolean, prefix: string) => {
      const tokens: number[][] = prompts.map(() => []);
      const last: number[] = [];
      for (const [i, prompt] of prompts.entries()) {
        const { logits } = await chainOne(shards, `${prefix}${i}`, prompt);
        last[i] = samplers[i]!.sample(logits, prompt.length);
        tokens[i]!.push(last[i]!);
      }
      for (let t = 1; t < 20; t++) {
        if (concurrent) {
          const steps = prompts.map((_, i) => ({ sessionId: `${prefix}${i}`, inputIds: [last[i]!] }));
          const { results } = await chainBatch(shards, steps);
          results.forEach((r, i) => {
            if (!r.ok) throw r.error;
            last[i] = samplers[i]!.sample(r.value.logits!, prompts[i]!.length + t);
            tokens[i]!.push(last[i]!);
          });
        } else {
          for (const i of prompts.keys()) {
            const { logits } = await chainOne(shards, `${prefix}${i}`, [last[i]!]);
            last[i] = samplers[i]!.sample(logits, prompts[i]!.length + t);
            tokens[i]!.push(last[i]!);
          }
        }
      }
      return tokens;
    };
    const concurrent = await generated(true, "c");
    const sequential = await generated(false, "q");
    expect(concurrent).toEqual(sequential);
    expect(new Set(concurrent.map((t) => t.join())).size).toBe(6);
  });
});

describe.each(["inPlace", "concat"] as const)("projectedKvBytes (%s layout)", (kvCache) => {
  const modelDir = join(tmp.path, `model-proj-${kvCache}`);
  let shard: ShardSession;

  beforeAll(async () => {
    makeTestModel({ dir: modelDir, seed: 8, numLayers: 2, vocabSize: VOCAB, maxPositions: MAX_POSITIONS });
    [shard] = (await openChain(modelDir, join(tmp.path, `proj-${kvCache}`), [], { kvCache })) as [
      ShardSession,
    ];
  });
  afterAll(() => shard.release());

  test("predicts exactly the bytes the cache holds after each step, through forward and forwardBatch", async () => {
    const sizes = [3, 1, 1, 30, 1, 7, 1, 1, 40, 1];
    let total = 0;
    let grew = 0;
    for (const [i, seq] of sizes.entries()) {
      const before = shard.kvCacheBytes("p");
      const predicted = shard.projectedKvBytes("p", total + seq);
      const inputIds = Array.from({ length: seq }, (_, j) => 3 + ((i + j) % 200));
      if (i % 2) {
        const [r] = await shard.forwardBatch([{ sessionId: "p", inputIds }]);
        expect(r!.ok).toBe(true);
      } else {
        await shard.forward({ sessionId: "p", inputIds });
      }
      total += seq;
      expect(shard.kvCacheBytes("p")).toBe(predicted);
      if (predicted > before) grew++;
    }
    expect(grew).toBeGreaterThan(1);
    const perPosition = (kvCache === "concat" ? 2 : 1) * shard.kvBytesPerToken;
    expect(shard.projectedKvBytes("unknown", MAX_POSITIONS)).toBe(MAX_POSITIONS * perPosition);
  });
});
