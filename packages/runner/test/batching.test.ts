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
  generateOverRoute,
  type RouteRunner,
  RunnerRefusedError,
  sendFrame,
} from "@teetee/sdk/pipeline";
import { ENVELOPE_CONTENT_TYPE, LOAD_PATH, parseRunnerLoad } from "@teetee/sdk/protocol";
import { createWireChannel, type WireSampling } from "@teetee/sdk/wire";

const SHAPE = {
  seed: 11,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 4,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 256,
};
const NEW_TOKENS = 12;

/** Eight sessions: prompts of different lengths (some longer than the prefill chunk), greedy and seeded sampling. */
const SESSIONS = Array.from({ length: 8 }, (_, i) => ({
  promptIds: Array.from({ length: 3 + i * 2 }, (_, j) => (i * 31 + j * 7 + 1) % 200),
  sampling:
    i % 2 === 0 ? undefined : ({ temperature: 0.9, topK: 20, topP: 0.95, seed: 1000 + i } as WireSampling),
}));

let network: TestNetwork;
let runners: SpawnedRunner[];
let route: RouteRunner[];
/** Each session's tokens when run alone, one session at a time. */
let alone: number[][];
const workDir = mkdtempSync(join(tmpdir(), "teetee-batching-test-"));

const routeOf = (spawned: SpawnedRunner[]) =>
  spawned.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey }));

const generate = (i: number) =>
  generateOverRoute({
    route,
    topology: "forward",
    activationDtype: "fp32",
    promptIds: SESSIONS[i]!.promptIds,
    maxTokens: NEW_TOKENS,
    ...(SESSIONS[i]!.sampling === undefined ? {} : { sampling: SESSIONS[i]!.sampling }),
  }).then((out) => out.tokens);

/** Batches this runner ran, and how many of them held more than one sequence. */
async function batches(runner: SpawnedRunner): Promise<{ total: number; multi: number }> {
  const text = await fetch(`${runner.url}/metrics`).then((r) => r.text());
  const total = Number(/^teetee_runner_batch_size_count (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
  const single = Number(/^teetee_runner_batch_size_bucket\{le="1"\} (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
  return { total, multi: total - single };
}

beforeAll(async () => {
  const sharded = await prepareShardedModel({ dir: workDir, shardCount: 2, shape: SHAPE });
  // Chunks of 4 positions: the longer prompts are computed over several batches, between other sessions' decodes.
  network = await startTestNetwork({ shardDir: sharded.shardDir, runnerArgs: ["--prefill-chunk", "4"] });
  runners = await Promise.all([0, 1].map((index) => network.spawnRunner(index)));
  route = routeOf(runners);
  alone = [];
  for (let i = 0; i < SESSIONS.length; i++) alone.push(await generate(i));
}, 240_000);

afterAll(async () => {
  await network?.stop();
});

describe("continuous batching on two runner processes", () => {
  test("eight concurrent sessions give exactly their tokens when run alone, in batches of more than one", async () => {
    const before = await Promise.all(runners.map(batches));
    const together = await Promise.all(SESSIONS.map((_, i) => generate(i)));
    expect(together).toEqual(alone);
    const after = await Promise.all(runners.map(batches));
    for (const [i, runner] of after.entries()) expect(runner.multi).toBeGreaterThan(before[i]!.multi);
    const load = parseRunnerLoad(await fetch(`${runners[0]!.url}${LOAD_PATH}`).then((r) => r.json()));
    expect(load).toMatchObject({ queuedSteps: 0, maxBatchSize: 16, maxBatchPositions: 256 });
    expect(load.utilization).toBeGreaterThan(0);
  });

  test("/v1/load is readable from any origin", async () => {
    const reply = await fetch(`${runners[1]!.url}${LOAD_PATH}`, {
      headers: { origin: "http://explorer.test" },
    });
    expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    expect(parseRunnerLoad(await reply.json()).maxSessions).toBe(64);
  });

  test("a full runner refuses new sessions with 503 and a retry hint; the sessions it holds finish correctly", async () => {
    // Shard 1's runner again, holding at most two sessions.
    await runners[1]!.stop();
    runners[1] = await network.spawnRunner(1, {
      extraArgs: ["--max-sessions", "2"],
      dataDir: runners[1]!.dataDir,
      port: Number(new URL(runners[1]!.url).port),
    });
    route = routeOf(runners);
    const held = [0, 1].map(() =>
      createPipelineSession({ route, topology: "forward", activationDtype: "fp32" }),
    );
    const first = await Promise.all(held.map((session, i) => session.prefill(SESSIONS[i * 2]!.promptIds)));

    // Over the route: shard 1 refuses, shard 0 relays its 503 and when to retry.
    const refusals = await Promise.allSettled([2, 4, 6].map((i) => generate(i)));
    for (const refusal of refusals) {
      expect(refusal.status).toBe("rejected");
      const error = (refusal as PromiseRejectedResult).reason as RunnerRefusedError;
      expect(error).toBeInstanceOf(RunnerRefusedError);
      expect(error.status).toBe(503);
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }

    // Straight to shard 1, over POST (Retry-After header) and over the frame stream (in the error frame).
    for (const transport of ["http", "stream"] as const) {
      const channel = createWireChannel({ recipientPublicKey: `0x04${runners[1]!.publicKey.slice(2)}` });
      const reply = await sendFrame({
        endpoint: runners[1]!.url,
        transport,
        contentType: ENVELOPE_CONTENT_TYPE,
        body: channel.seal({
          kind: "prefill",
          sessionId: crypto.getRandomValues(new Uint8Array(16)),
          step: 0,
          sentAt: Date.now(),
          positionStart: 0,
          positionCount: 1,
          payload: {
            type: "hidden",
            dtype: "fp32",
            shape: [1, SHAPE.hiddenSize],
            data: new Float32Array(64),
          },
        }),
      });
      expect(reply.status).toBe(503);
      if (transport === "http") expect(reply.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      const opened = channel.openReply(reply.body);
      expect(opened.payload).toMatchObject({
        type: "error",
        message: expect.stringMatching(/\(retry after \d+ s\)$/),
      });
    }

    // The held sessions never noticed.
    const tokens = await Promise.all(
      held.map(async (session, i) => {
        const out = [first[i]!.tokenId];
        while (out.length < NEW_TOKENS) out.push((await session.decode(out.at(-1)!)).tokenId);
        await session.close();
        return out;
      }),
    );
    expect(tokens).toEqual([alone[0], alone[2]]);
  });
});
