import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { SequenceTooLongError, UnsupportedModelError } from "../src/errors.js";
import { forwardChain } from "../src/generate.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { FLOAT, GraphBuilder, INT32, INT64, onnx } from "../src/onnxGraph.js";
import { ReferenceModel } from "../src/referenceModel.js";
import type { ShardSession } from "../src/ShardSession.js";
import { shardModel } from "../src/shardModel.js";
import { maxAbsDiff, openChain, releaseAll, tempDir } from "./helpers.js";

/** As in shardEquality.test.ts: fp32 rounding against the float64 reference, with a 5x margin. */
const TOLERANCE = 1e-4;
const tmp = tempDir("kvcache");
afterAll(() => tmp.cleanup());

describe("onnxruntime's GroupQueryAttention with past and present sharing one buffer", () => {
  const heads = 4;
  const kvHeads = 2;
  const headDim = 16;
  const half = headDim / 2;
  const capacity = 24;
  const maxPositions = 64;
  const invFreq = Float32Array.from({ length: half }, (_, i) => 1 / 10000 ** ((2 * i) / headDim));
  const angle = (p: number, i: number) => Math.fround(p * invFreq[i]!);
  let session: ort.InferenceSession;

  beforeAll(async () => {
    const g = new GraphBuilder();
    g.input("q", FLOAT, [1, "s", heads * headDim]);
    g.input("k", FLOAT, [1, "s", kvHeads * headDim]);
    g.input("v", FLOAT, [1, "s", kvHeads * headDim]);
    g.input("past_key", FLOAT, [1, kvHeads, "capacity", headDim]);
    g.input("past_value", FLOAT, [1, kvHeads, "capacity", headDim]);
    g.input("seqlens_k", INT32, [1]);
    g.input("total_sequence_length", INT32, []);
    g.input("position_ids", INT64, [1, "s"]);
    const table = (f: (a: number) => number) =>
      Float32Array.from({ length: maxPositions * half }, (_, j) => f(angle(Math.floor(j / half), j % half)));
    g.floatTensor("cos", table(Math.cos), [maxPositions, half]);
    g.floatTensor("sin", table(Math.sin), [maxPositions, half]);
    const inputs = ["q", "k", "v", "past_key", "past_value", "seqlens_k", "total_sequence_length"];
    g.contribNode(
      "GroupQueryAttention",
      [...inputs, "cos", "sin", "position_ids"],
      ["out", "present_key", "present_value"],
      { num_heads: heads, kv_num_heads: kvHeads, do_rotary: 1, rotary_interleaved: 0 },
    );
    g.output("out", FLOAT, [1, "s", heads * headDim]);
    g.output("present_key", FLOAT, [1, kvHeads, "capacity", headDim]);
    g.output("present_value", FLOAT, [1, kvHeads, "capacity", headDim]);
    const bytes = onnx.ModelProto.encode(g.build("gqa", "")).finish();
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  });
  afterAll(() => session.release());

  /** Transformers' rotate_half rotation of one head vector at position p. */
  function rotate(x: Float32Array, p: number): number[] {
    return Array.from(x, (value, i) => {
      const j = i % half;
      const rotated = i < half ? -x[i + half]! : x[i - half]!;
      return value * Math.cos(angle(p, j)) + rotated * Math.sin(angle(p, j));
    });
  }

  test("each call writes only its new positions, rotated, at [past, total) of the shared buffer; attention matches", async () => {
    const random = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + n) * 0.5);
    const keys = new Float32Array(kvHeads * capacity * headDim);
    const values = new Float32Array(kvHeads * capacity * headDim);
    const pastKey = new ort.Tensor("float32", keys, [1, kvHeads, capacity, headDim]);
    const pastValue = new ort.Tensor("float32", values, [1, kvHeads, capacity, headDim]);
    const expectedKeys: number[][][] = [[], []];
    const expectedValues: number[][][] = [[], []];
    let length = 0;
    let worst = 0;
    for (const seq of [5, 1, 3, 1]) {
      const q = random(seq * heads * headDim);
      const k = random(seq * kvHeads * headDim + 1).subarray(1);
      const v = random(seq * kvHeads * headDim + 2).subarray(2);
      const total = length + seq;
      const result = await session.run(
        {
          q: new ort.Tensor("float32", q, [1, seq, heads * headDim]),
          k: new ort.Tensor("float32", k, [1, seq, kvHeads * headDim]),
          v: new ort.Tensor("float32", v, [1, seq, kvHeads * headDim]),
          past_key: pastKey,
          past_value: pastValue,
          seqlens_k: new ort.Tensor("int32", Int32Array.of(total - 1), [1]),
          total_sequence_length: new ort.Tensor("int32", Int32Array.of(total), []),
          position_ids: new ort.Tensor(
            "int64",
            BigInt64Array.from({ length: seq }, (_, i) => BigInt(length + i)),
            [1, seq],
          ),
        },
        { out: null, present_key: pastKey, present_value: pastValue },
      );
      // onnxruntime-node 1.30 returns a copy of every pre-allocated output, the whole capacity of it.
      expect(result["present_key"]!.data).not.toBe(keys);
      expect((result["present_key"]!.data as Float32Array).length).toBe(keys.length);
      for (let t = 0; t < seq; t++) {
        for (let h = 0; h < kvHeads; h++) {
          const at = (t * kvHeads + h) * headDim;
          expectedKeys[h]!.push(rotate(k.subarray(at, at + headDim), length + t));
          expectedValues[h]!.push(Array.from(v.subarray(at, at + headDim)));
        }
      }
      for (let h = 0; h < kvHeads; h++) {
        const row = (p: number) => (h * capacity + p) * headDim;
        worst = Math.max(
          worst,
          maxAbsDiff(keys.subarray(row(0), row(total)), expectedKeys[h]!.flat()),
          maxAbsDiff(values.subarray(row(0), row(total)), expectedValues[h]!.flat()),
        );
        expect(keys.subarray(row(total), row(capacity)).every((x) => x === 0)).toBe(true);
      }
      const out = result["out"]!.data as Float32Array;
      for (let t = 0; t < seq; t++) {
        for (let h = 0; h < heads; h++) {
          const kvHead = Math.floor(h / (heads / kvHeads));
          const query = rotate(
            q.subarray((t * heads + h) * headDim, (t * heads + h + 1) * headDim),
            length + t,
          );
          const visible = length + t + 1;
          const scores = expectedKeys[kvHead]!.slice(0, visible).map(
            (key) => key.reduce((s, x, i) => s + x * query[i]!, 0) / Math.sqrt(headDim),
          );
          const top = Math.max(...scores);
          const weights = scores.map((s) => Math.exp(s - top));
          const sum = weights.reduce((a, b) => a + b);
          const expected = Array.from({ length: headDim }, (_, i) =>
            weights.reduce((s, w, p) => s + (w / sum) * expectedValues[kvHead]![p]![i]!, 0),
          );
          const at = (t * heads + h) * headDim;
          worst = Math.max(worst, maxAbsDiff(out.subarray(at, at + headDim), expected));
        }
      }
      length = total;
    }
    expect(worst).toBeLessThan(1e-6);
  });
});

describe("ShardSession's in-place KV cache", () => {
  const modelDir = join(tmp.path, "model");
  const prompt = [5, 17, 99, 230, 31, 7, 12];
  let reference: ReferenceModel;
  let shards: ShardSession[];
  let concat: ShardSession[];

  beforeAll(async () => {
    makeTestModel({ dir: modelDir, seed: 21, numLayers: 4, numKvHeads: 2, maxPositions: 96 });
    reference = ReferenceModel.load(modelDir);
    shards = await openChain(modelDir, join(tmp.path, "inplace"), [2]);
    concat = await openChain(modelDir, join(tmp.path, "concat"), [2], { kvCache: "concat" });
  });
  afterAll(async () => {
    await releaseAll(shards);
    await releaseAll(concat);
  });

  test("the shards default to the in-place layout and say so in the manifest", () => {
    expect(shards.map((s) => s.manifest.kvCache)).toEqual(["inPlace", "inPlace"]);
    expect(concat.map((s) => s.manifest.kvCache)).toEqual(["concat", "concat"]);
  });

  test("a decode step writes the new position's keys and values into the same buffers, at position · head_dim of each head", async () => {
    await forwardChain(shards, { sessionId: "w", inputIds: prompt });
    await forwardChain(concat, { sessionId: "w", inputIds: prompt });
    const before = shards[1]!.kvCacheView("w")!;
    const buffers = [...before.buffers];
    const bytes = shards[1]!.kvCacheBytes("w");
    await forwardChain(shards, { sessionId: "w", inputIds: [42] });
    await forwardChain(concat, { sessionId: "w", inputIds: [42] });
    const after = shards[1]!.kvCacheView("w")!;
    const old = concat[1]!.kvCacheView("w")!;
    expect(after.length).toBe(prompt.length + 1);
    expect(after.capacity).toBe(before.capacity);
    // The very same Float32Arrays: nothing cache-sized was allocated by ShardSession for the step.
    expect(after.buffers.every((buffer, i) => buffer === buffers[i])).toBe(true);
    expect(shards[1]!.kvCacheBytes("w")).toBe(bytes);
    // One buffer set: [layers · 2] × [kv_heads, capacity, head_dim] fp32, no second set to alternate with.
    const { numKvHeads, headDim } = shards[1]!.manifest.config;
    expect(bytes).toBe(shards[1]!.layers.length * 2 * numKvHeads * after.capacity * headDim * 4);
    // The new position (index 7) of every head equals what the concat graph computed for it.
    const position = prompt.length;
    for (const [i, buffer] of after.buffers.entries()) {
      for (let h = 0; h < numKvHeads; h++) {
        const mine = buffer.subarray(
          (h * after.stride + position) * headDim,
          (h * after.stride + position + 1) * headDim,
        );
        const theirs = old.buffers[i]!.subarray(
          (h * old.stride + position) * headDim,
          (h * old.stride + position + 1) * headDim,
        );
        expect(mine.some((x) => x !== 0)).toBe(true);
        expect(maxAbsDiff(mine, theirs)).toBeLessThan(1e-5);
      }
    }
  });

  test("in-place and concat graphs give the same logits within fp32 rounding (prefill and 40 decode steps)", async () => {
    const a = [...(await forwardChain(shards, { sessionId: "cmp", inputIds: prompt, logits: "all" }))];
    const b = [...(await forwardChain(concat, { sessionId: "cmp", inputIds: prompt, logits: "all" }))];
    for (let t = 0; t < 40; t++) {
      a.push(...(await forwardChain(shards, { sessionId: "cmp", inputIds: [3 + t] })));
      b.push(...(await forwardChain(concat, { sessionId: "cmp", inputIds: [3 + t] })));
    }
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(TOLERANCE);
  });

  test("growing across capacities keeps every cached position: 89 positions in chunks equal the reference", async () => {
    reference.reset();
    const ids = Array.from({ length: 89 }, (_, i) => 3 + ((i * 37) % 250));
    const capacities = new Set<number>();
    const got: number[] = [];
    const chunks = [ids.slice(0, 10), ids.slice(10, 35), ids.slice(35, 36), ids.slice(36, 65)];
    for (const chunk of [...chunks, ...ids.slice(65).map((id) => [id])]) {
      got.push(...(await forwardChain(shards, { sessionId: "grow", inputIds: chunk, logits: "all" })));
      capacities.add(shards[0]!.kvCacheView("grow")!.capacity);
    }
    expect(capacities.size).toBeGreaterThan(2);
    expect(maxAbsDiff(got, reference.forward(ids).flat())).toBeLessThanOrEqual(TOLERANCE);
  });

  test("a sequence reaching the model's maximum fills the capacity exactly; one more position is refused and changes nothing", async () => {
    reference.reset();
    const ids = Array.from({ length: 96 }, (_, i) => 3 + ((i * 11) % 250));
    await forwardChain(shards, { sessionId: "full", inputIds: ids.slice(0, 95) });
    const last = await forwardChain(shards, { sessionId: "full", inputIds: ids.slice(95), logits: "all" });
    expect(shards.map((s) => s.kvCacheView("full")!.capacity)).toEqual([96, 96]);
    expect(maxAbsDiff(last, reference.forward(ids).at(-1)!)).toBeLessThanOrEqual(TOLERANCE);
    const before = Float32Array.from(shards[0]!.kvCacheView("full")!.buffers[0]!);
    await expect(forwardChain(shards, { sessionId: "full", inputIds: [5] })).rejects.toThrow(
      SequenceTooLongError,
    );
    expect(shards.map((s) => s.cachedLength("full"))).toEqual([96, 96]);
    expect(shards[0]!.kvCacheView("full")!.buffers[0]).toEqual(before);
  });

  test("two sequences interleaved on the same shards give what each gives alone, bit for bit", async () => {
    const a = [9, 8, 7, 6, 5];
    const b = [100, 101, 102];
    const alone = async (id: string, ids: number[]) => {
      const out = [...(await forwardChain(shards, { sessionId: id, inputIds: ids, logits: "all" }))];
      for (let t = 0; t < 40; t++)
        out.push(...(await forwardChain(shards, { sessionId: id, inputIds: [50 + t] })));
      return out;
    };
    const soloA = await alone("solo-a", a);
    const soloB = await alone("solo-b", b);
    const mixA = [...(await forwardChain(shards, { sessionId: "mix-a", inputIds: a, logits: "all" }))];
    const mixB = [...(await forwardChain(shards, { sessionId: "mix-b", inputIds: b, logits: "all" }))];
    for (let t = 0; t < 40; t++) {
      const [stepA, stepB] = await Promise.all([
        forwardChain(shards, { sessionId: "mix-a", inputIds: [50 + t] }),
        forwardChain(shards, { sessionId: "mix-b", inputIds: [50 + t] }),
      ]);
      mixA.push(...stepA);
      mixB.push(...stepB);
    }
    expect(maxAbsDiff(mixA, soloA)).toBe(0);
    expect(maxAbsDiff(mixB, soloB)).toBe(0);
  });

  test("explicit positions: a first call must be consecutive; later calls may use any positions", async () => {
    await expect(
      shards[0]!.forward({ sessionId: "pos", inputIds: [5, 6, 7], positionIds: [0, 0, 0] }),
    ).rejects.toThrow(/consecutive position ids/);
    expect(shards[0]!.cachedLength("pos")).toBe(0);
    reference.reset();
    const expected = [
      ...reference.forward([5, 6], [40, 41]).flat(),
      ...reference.forward([7, 8, 9], [3, 60, 3]).flat(),
    ];
    const got: number[] = [];
    for (const [ids, positions] of [
      [
        [5, 6],
        [40, 41],
      ],
      [
        [7, 8, 9],
        [3, 60, 3],
      ],
    ]) {
      const hidden = (await shards[0]!.forward({ sessionId: "pos", inputIds: ids!, positionIds: positions! }))
        .hiddenStates!;
      got.push(
        ...(
          await shards[1]!.forward({
            sessionId: "pos",
            hiddenStates: hidden,
            positionIds: positions!,
            logits: "all",
          })
        ).logits!,
      );
    }
    expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("the concat layout stays available", () => {
  test("a head_dim that GroupQueryAttention's rotation cannot take (not a multiple of 16) shards as concat; asking for in-place is refused", async () => {
    const dir = join(tmp.path, "head24");
    makeTestModel({ dir, seed: 3, numLayers: 2, hiddenSize: 96, numHeads: 4, numKvHeads: 2 });
    const { manifest } = await shardModel({
      modelDir: dir,
      outDir: join(tmp.path, "head24-shards"),
      shardCount: 1,
      quiet: true,
    });
    expect(manifest.kvCache).toBe("concat");
    await expect(
      shardModel({
        modelDir: dir,
        outDir: join(tmp.path, "head24-inplace"),
        shardCount: 1,
        quiet: true,
        kvCache: "inPlace",
      }),
    ).rejects.toThrow(UnsupportedModelError);
  });
});
