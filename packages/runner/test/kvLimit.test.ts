import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  prepareShardedModel,
  type SpawnedRunner,
  startTestNetwork,
  type TestNetwork,
} from "@teetee/devnet/testing";
import {
  createPipelineSession,
  type PipelineSession,
  type RouteRunner,
  RunnerRefusedError,
  type SampledToken,
} from "@teetee/sdk/pipeline";
import { LOAD_PATH, parseRunnerLoad } from "@teetee/sdk/protocol";

const SHAPE = {
  seed: 23,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 256,
};
const NEW_TOKENS = 10;
const BURST = 8;
/** Prompts of 6..13 tokens: with the new tokens every session stays within one 32-position cache allocation. */
const PROMPTS = Array.from({ length: BURST }, (_, i) =>
  Array.from({ length: 6 + i }, (_, j) => (i * 17 + j * 5 + 3) % 200),
);
/** A session's cache: 32 positions of keys and values, 2 layers x 2 KV heads x 16 dims x fp32. */
const SESSION_BYTES = 32 * SHAPE.numLayers * 2 * SHAPE.numKvHeads * (SHAPE.hiddenSize / SHAPE.numHeads) * 4;
/** Room for three sessions and a half: a burst of eight must leave five refused. */
const MAX_KV_BYTES = Math.floor(3.5 * SESSION_BYTES);
/** Two decode steps' batch buffers (each as wide as one 32-position cache). */
const BATCH_KV_BYTES = 2 * SESSION_BYTES;

type Kv = { allocatedBytes: number; reservedBytes: number; limitBytes: number; batchBufferBytes: number };

let network: TestNetwork;
let runner: SpawnedRunner;
let route: RouteRunner[];
/** Each prompt's tokens when run alone. */
const alone: number[][] = [];
const workDir = mkdtempSync(join(tmpdir(), "teetee-kvlimit-test-"));

/**
 * Over the default transport (one frame stream per runner), a burst's frames reach the runner together and are
 * all admitted before the first one's step allocates its cache: the race that admission must account for.
 */
const newSession = (): PipelineSession =>
  createPipelineSession({ route, topology: "forward", activationDtype: "fp32" });

async function decodeRest(session: PipelineSession, first: SampledToken): Promise<number[]> {
  const out = [first.tokenId];
  while (out.length < NEW_TOKENS) out.push((await session.decode(out.at(-1)!)).tokenId);
  await session.close();
  return out;
}

const health = async (): Promise<Kv> =>
  ((await fetch(`${runner.url}/healthz`).then((r) => r.json())) as { kv: Kv }).kv;

const load = async () => parseRunnerLoad(await fetch(`${runner.url}${LOAD_PATH}`).then((r) => r.json()));

/** Reads `read` over and over until `stop` settles, and once more after. */
async function sampleUntil<T>(stop: Promise<unknown>, read: () => Promise<T>): Promise<T[]> {
  const samples: T[] = [];
  let done = false;
  void stop.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) samples.push(await read());
  samples.push(await read());
  return samples;
}

beforeAll(async () => {
  const sharded = await prepareShardedModel({ dir: workDir, shardCount: 1, shape: SHAPE });
  network = await startTestNetwork({ shardDir: sharded.shardDir });
  runner = await network.spawnRunner(0, {
    extraArgs: ["--max-kv-bytes", String(MAX_KV_BYTES), "--batch-kv-bytes", String(BATCH_KV_BYTES)],
  });
  route = [{ runner: runner.runner, endpoint: runner.endpoint, publicKey: runner.publicKey }];
  for (const prompt of PROMPTS) {
    const session = newSession();
    alone.push(await decodeRest(session, await session.prefill(prompt)));
  }
}, 240_000);

afterAll(async () => {
  await network?.stop();
});

/** Prefills every prompt at once, checks the runner's accounting and refusals, then decodes the admitted ones. */
async function burstThenDecode(sessions: PipelineSession[]): Promise<void> {
  const burst = Promise.allSettled(sessions.map((session, i) => session.prefill(PROMPTS[i]!)));
  const samples = await sampleUntil(burst, health);
  const settled = await burst;

  for (const kv of samples) expect(kv.allocatedBytes + kv.reservedBytes).toBeLessThanOrEqual(MAX_KV_BYTES);
  const admitted = settled.flatMap((s, i) => (s.status === "fulfilled" ? [i] : []));
  expect(admitted).toHaveLength(3);
  for (const refusal of settled.filter((s) => s.status === "rejected")) {
    const error = refusal.reason as RunnerRefusedError;
    expect(error).toBeInstanceOf(RunnerRefusedError);
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  }
  // The admitted sessions hold their caches now, nothing reserved: what they allocated is within the limit.
  expect(await health()).toMatchObject({ allocatedBytes: 3 * SESSION_BYTES, reservedBytes: 0 });

  const decoding = Promise.all(
    admitted.map((i) => decodeRest(sessions[i]!, (settled[i] as PromiseFulfilledResult<SampledToken>).value)),
  );
  const during = await sampleUntil(decoding, health);
  expect(await decoding).toEqual(admitted.map((i) => alone[i]));
  for (const kv of during) expect(kv.allocatedBytes + kv.reservedBytes).toBeLessThanOrEqual(MAX_KV_BYTES);
}

describe("KV memory under a burst of new sessions", () => {
  test("allocated plus reserved never passes --max-kv-bytes; the refused get 503, the admitted their tokens", async () => {
    const sessions = PROMPTS.map(() => newSession());
    try {
      await burstThenDecode(sessions);
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
  });

  test("batched decode buffers stay within --batch-kv-bytes and are freed when the runner is idle", async () => {
    // Three sessions decoding together: their batch is split into calls of at most two steps.
    const sessions = [0, 1, 2].map(() => newSession());
    const firsts = await Promise.all(sessions.map((session, i) => session.prefill(PROMPTS[i]!)));
    const decoding = Promise.all(sessions.map((session, i) => decodeRest(session, firsts[i]!)));
    const loads = await sampleUntil(decoding, load);
    expect(await decoding).toEqual([0, 1, 2].map((i) => alone[i]));
    expect(loads.length).toBeGreaterThan(1);
    for (const { kv } of loads) {
      expect(kv?.batchLimitBytes).toBe(BATCH_KV_BYTES);
      expect(kv?.batchBufferBytes).toBeLessThanOrEqual(BATCH_KV_BYTES);
    }
    // Between batches the buffers may already be freed: the peak says what the calls bound.
    const { batchBufferPeakBytes } = loads.at(-1)!.kv!;
    expect(batchBufferPeakBytes).toBeGreaterThan(0);
    expect(batchBufferPeakBytes).toBeLessThanOrEqual(BATCH_KV_BYTES);
    expect(await health()).toMatchObject({ allocatedBytes: 0, reservedBytes: 0, batchBufferBytes: 0 });
  });
});
