// onnxruntime runs in this jest process for the unsharded reference: see the note in typedArrayRealms.
import "@teetee/inference/typedArrayRealms";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@teetee/devnet";
import {
  prepareShardedModel,
  type SpawnedRunner,
  spawnRunnerProcess,
  startTestNetwork,
  type TestNetwork,
} from "@teetee/devnet/testing";
import { generate, ShardSession } from "@teetee/inference";
import { getRunner, registerRunner } from "@teetee/sdk/contracts";
import {
  createPipelineSession,
  encodeRecord,
  FRAME_STREAM_PROTOCOL,
  FrameStreamConnection,
  generateOverRoute,
  RECORD_TYPES,
  RecordReader,
  type RouteRunner,
  RunnerRefusedError,
  sendFrame,
} from "@teetee/sdk/pipeline";
import {
  ENVELOPE_CONTENT_TYPE,
  FRAMES_PATH,
  PLAIN_FRAME_CONTENT_TYPE,
  parseRunnerRegistrationDocument,
  REGISTRATION_PATH,
} from "@teetee/sdk/protocol";
import { createWireChannel, encodeFrame, type Frame } from "@teetee/sdk/wire";
import { createWalletClient, type Hex, http } from "viem";

const SHAPE = {
  seed: 7,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 6,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 256,
};
const PROMPT = [5, 17, 42, 99, 7, 63, 12, 30];
const NEW_TOKENS = 64;

let network: TestNetwork;
let runners: SpawnedRunner[];
let route: RouteRunner[];
let expected: number[];
let wholeShardDir: string;
const workDir = mkdtempSync(join(tmpdir(), "teetee-pipeline-test-"));

beforeAll(async () => {
  const sharded = await prepareShardedModel({ dir: workDir, shardCount: 3, shape: SHAPE });
  const whole = await prepareShardedModel({ dir: workDir, shardCount: 1, shape: SHAPE });
  wholeShardDir = whole.shardDir;
  const unsharded = await ShardSession.create({ dir: whole.shardDir, shardIndex: 0 });
  expected = (await generate({ shards: [unsharded], promptIds: PROMPT, maxTokens: NEW_TOKENS })).tokens;
  await unsharded.release();
  network = await startTestNetwork({
    shardDir: sharded.shardDir,
    runnerArgs: ["--max-body-bytes", "1048576"],
  });
  runners = await Promise.all([0, 1, 2].map((index) => network.spawnRunner(index)));
  route = runners.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey }));
}, 240_000);

afterAll(async () => {
  await network?.stop();
});

describe("three runner processes on a local chain", () => {
  test.each([
    ["gateway calls each runner", "gateway", "fp32"],
    ["runner-to-runner forwarding", "forward", "fp32"],
    ["runner-to-runner forwarding, fp16 activations", "forward", "fp16"],
  ] as const)("%s: greedy tokens equal the unsharded model's", async (_label, topology, activationDtype) => {
    const { tokens } = await generateOverRoute({
      route,
      topology,
      activationDtype,
      promptIds: PROMPT,
      maxTokens: NEW_TOKENS,
    });
    expect(tokens).toHaveLength(NEW_TOKENS);
    expect(tokens).toEqual(expected);
  });

  test("forwarding: the last runner answers the sender's await, so tokens skip the relay back", async () => {
    const directResults = async () => {
      const metrics = await fetch(`${runners[2]!.url}/metrics`).then((r) => r.text());
      return Number(/teetee_runner_direct_results_total (\d+)/.exec(metrics)?.[1] ?? 0);
    };
    const before = await directResults();
    const { tokens } = await generateOverRoute({
      route,
      topology: "forward",
      promptIds: PROMPT,
      maxTokens: 16,
    });
    expect(tokens).toEqual(expected.slice(0, 16));
    // One prefill and 15 decode steps; each await either got its result (counted) or lost the race to the chain.
    const answered = (await directResults()) - before;
    expect(answered).toBeGreaterThanOrEqual(12);
    expect(answered).toBeLessThanOrEqual(16);
  });

  test("await frames go only to the last shard's runner: 400 elsewhere", async () => {
    const channel = createWireChannel({ recipientPublicKey: `0x04${runners[1]!.publicKey.slice(2)}` });
    const reply = await sendFrame({
      endpoint: runners[1]!.url,
      contentType: ENVELOPE_CONTENT_TYPE,
      body: channel.seal({
        kind: "await",
        sessionId: crypto.getRandomValues(new Uint8Array(16)),
        step: 0,
        sentAt: Date.now(),
        positionStart: 0,
        positionCount: 1,
        payload: { type: "empty" },
      }),
    });
    expect(reply.status).toBe(400);
    const opened = channel.openReply(reply.body);
    expect(opened.payload).toMatchObject({ type: "error", message: expect.stringMatching(/last runner/) });
  });

  test("log-probabilities come only when asked for, and agree with the unsharded model's", async () => {
    const withLogprobs = createPipelineSession({
      route,
      topology: "forward",
      activationDtype: "fp32",
      logprobs: true,
    });
    const without = createPipelineSession({ route, topology: "forward" });
    const [asked, plain] = [await withLogprobs.prefill(PROMPT), await without.prefill(PROMPT)];
    await Promise.all([withLogprobs.close(), without.close()]);
    expect(asked.tokenId).toBe(expected[0]);
    expect(plain.tokenId).toBe(expected[0]);
    expect(Number.isNaN(plain.logprob)).toBe(true);
    // log p of the greedy token, from the unsharded model's own logits (fp32 activations: no rounding between runners).
    const unsharded = await ShardSession.create({ dir: wholeShardDir, shardIndex: 0 });
    const { logits } = await unsharded.forward({ inputIds: PROMPT });
    await unsharded.release();
    const max = Math.max(...logits!);
    const logSum = Math.log(logits!.reduce((sum, v) => sum + Math.exp(v - max), 0));
    expect(asked.logprob).toBeCloseTo(logits![expected[0]!]! - max - logSum, 4);
    expect(asked.logprob).toBeLessThanOrEqual(0);
  });

  test("chunked prefill gives the same tokens", async () => {
    const { tokens } = await generateOverRoute({
      route,
      topology: "forward",
      activationDtype: "fp32",
      promptIds: PROMPT,
      maxTokens: 8,
      prefillChunk: 3,
    });
    expect(tokens).toEqual(expected.slice(0, 8));
  });

  test("each runner is registered with the attested key it publishes", async () => {
    const health = await Promise.all(
      runners.map((runner) =>
        fetch(`${runner.url}/healthz`).then(
          (r) => r.json() as Promise<{ runner: string; shardIndex: number }>,
        ),
      ),
    );
    expect(health.map((h) => h.shardIndex)).toEqual([0, 1, 2]);
    expect(new Set(health.map((h) => h.runner)).size).toBe(3);
    for (const spawned of runners) {
      const record = await getRunner(network.publicClient, {
        contracts: network.contracts,
        runner: spawned.runner,
      });
      expect(record.active).toBe(true);
      expect(record.publicKey.toLowerCase()).toBe(spawned.publicKey.toLowerCase());
      expect(record.endpoint).toBe(spawned.endpoint);
    }
    // Forwarding really went runner to runner: runner 0 sent activations on to runner 1 itself.
    const first = await fetch(`${runners[0]!.url}/metrics`).then((r) => r.text());
    expect(Number(/teetee_runner_forwarded_bytes_total (\d+)/.exec(first)?.[1])).toBeGreaterThan(0);
    const metrics = await fetch(`${runners[2]!.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/teetee_runner_tokens_sampled_total \d+/);
    expect(metrics).toMatch(/teetee_runner_kv_cache_bytes/);
  });
});

describe.each(["stream", "http"] as const)(
  "bad frames get clear 4xx errors and the runner keeps serving (%s transport)",
  (transport) => {
    const session = () => new Uint8Array(crypto.getRandomValues(new Uint8Array(16)));
    const frame = (overrides: Partial<Frame> = {}): Frame => ({
      kind: "prefill",
      sessionId: session(),
      step: 0,
      sentAt: Date.now(),
      positionStart: 0,
      positionCount: 2,
      payload: { type: "tokens", tokenIds: Uint32Array.of(5, 6) },
      ...overrides,
    });
    const post = (runner: SpawnedRunner, body: Uint8Array, contentType = ENVELOPE_CONTENT_TYPE) =>
      sendFrame({ endpoint: runner.url, body, contentType, transport });
    const sealFor = (runner: SpawnedRunner) =>
      createWireChannel({ recipientPublicKey: `0x04${runner.publicKey.slice(2)}` });
    const message = (body: Uint8Array) => Buffer.from(body).toString("utf8");

    test("a truncated envelope: 400", async () => {
      const sealed = sealFor(runners[0]!).seal(frame());
      const reply = await post(runners[0]!, sealed.subarray(0, 30));
      expect(reply.status).toBe(400);
      expect(message(reply.body)).toMatch(/shorter than its header/);
    });

    test("tampered ciphertext: 401", async () => {
      const sealed = sealFor(runners[0]!).seal(frame());
      sealed[sealed.length - 20]! ^= 0x01;
      const reply = await post(runners[0]!, sealed);
      expect(reply.status).toBe(401);
      expect(message(reply.body)).toMatch(/failed authentication/);
    });

    test("a replayed frame: 409", async () => {
      const sealed = sealFor(runners[0]!).seal(frame());
      expect((await post(runners[0]!, sealed)).status).toBe(200);
      const replay = await post(runners[0]!, sealed);
      expect(replay.status).toBe(409);
      expect(message(replay.body)).toMatch(/already received/);
    });

    const refused = async (runner: SpawnedRunner, request: Frame): Promise<RunnerRefusedError> => {
      const channel = sealFor(runner);
      const reply = await post(runner, channel.seal(request));
      const opened = channel.openReply(reply.body);
      if (opened.payload.type !== "error") throw new Error(`expected an error frame, got ${opened.kind}`);
      return new RunnerRefusedError(opened.payload.message, { status: reply.status });
    };

    test("activations sent to shard 0 (wrong dtype): 400", async () => {
      const error = await refused(
        runners[0]!,
        frame({ payload: { type: "hidden", dtype: "fp32", shape: [2, 64], data: new Float32Array(128) } }),
      );
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/takes token ids/);
    });

    test("activations of the wrong width (wrong shape): 400", async () => {
      const error = await refused(
        runners[1]!,
        frame({ payload: { type: "hidden", dtype: "fp16", shape: [2, 32], data: new Uint16Array(64) } }),
      );
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/shape \[2, 64\]/);
    });

    test("a decode for an unknown session: 404", async () => {
      const error = await refused(
        runners[0]!,
        frame({
          kind: "decode",
          positionStart: 9,
          positionCount: 1,
          payload: { type: "tokens", tokenIds: Uint32Array.of(1) },
        }),
      );
      expect(error.status).toBe(404);
      expect(error.message).toMatch(/Unknown session/);
    });

    test("positions that skip ahead: 409", async () => {
      const channel = sealFor(runners[0]!);
      const first = frame();
      expect((await post(runners[0]!, channel.seal(first))).status).toBe(200);
      const skip = await post(
        runners[0]!,
        channel.seal({
          ...first,
          kind: "decode",
          step: 1,
          positionStart: 5,
          positionCount: 1,
          payload: { type: "tokens", tokenIds: Uint32Array.of(1) },
        }),
      );
      expect(skip.status).toBe(409);
    });

    test("an oversized body: 413", async () => {
      const reply = await post(runners[0]!, new Uint8Array(2 * 1024 * 1024));
      expect(reply.status).toBe(413);
      expect(message(reply.body)).toMatch(/larger than/);
    });

    test("an oversized body beside a good frame: 413 for it, 200 for the other (the connection goes on)", async () => {
      const [big, good] = await Promise.all([
        post(runners[0]!, new Uint8Array(2 * 1024 * 1024)),
        post(runners[0]!, sealFor(runners[0]!).seal(frame())),
      ]);
      expect(big.status).toBe(413);
      expect(good.status).toBe(200);
    });

    test("a sequence past the model's positions: 413", async () => {
      const ids = Uint32Array.from({ length: 300 }, (_, i) => i % 50);
      const error = await refused(
        runners[0]!,
        frame({ positionCount: ids.length, payload: { type: "tokens", tokenIds: ids } }),
      );
      expect(error.status).toBe(413);
    });

    test("plaintext frames are refused unless allowed: 401", async () => {
      const reply = await post(runners[0]!, encodeFrame(frame()), PLAIN_FRAME_CONTENT_TYPE);
      expect(reply.status).toBe(401);
    });

    test("a forwarding route naming an unregistered runner: 502, before any activation leaves", async () => {
      const error = await refused(
        runners[0]!,
        frame({
          route: [
            {
              runner: "0x000000000000000000000000000000000000dEaD",
              endpoint: runners[1]!.endpoint,
              publicKey:
                route[1]!.publicKey.length === 130
                  ? `0x02${route[1]!.publicKey.slice(2, 66)}`
                  : route[1]!.publicKey,
            },
          ],
        }),
      );
      expect(error.status).toBe(502);
      expect(error.message).toMatch(/no on-chain registration/);
    });

    test("after all of that, the runners still serve", async () => {
      const { tokens } = await generateOverRoute({
        route,
        topology: "forward",
        activationDtype: "fp32",
        promptIds: PROMPT,
        maxTokens: 16,
        transport,
      });
      expect(tokens).toEqual(expected.slice(0, 16));
    });
  },
);

describe("the frame stream", () => {
  test("runners upgrade GET /v1/frames to the frame stream", async () => {
    const connection = await FrameStreamConnection.open(runners[1]!.url, 5000);
    expect(connection).toBeInstanceOf(FrameStreamConnection);
    connection!.close();
  });

  test("frames posted one by one (HTTP) give the same tokens, in both topologies", async () => {
    for (const topology of ["gateway", "forward"] as const) {
      const { tokens } = await generateOverRoute({
        route,
        topology,
        transport: "http",
        promptIds: PROMPT,
        maxTokens: 24,
      });
      expect(tokens).toEqual(expected.slice(0, 24));
    }
  });

  /** Upgrades a raw socket by hand, so the test can write bytes no client would. */
  const rawStream = async (runner: SpawnedRunner, path = FRAMES_PATH, protocol = FRAME_STREAM_PROTOCOL) => {
    const { hostname, port } = new URL(runner.url);
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n\r\n`,
    );
    const text = () => Buffer.concat(received).toString("latin1");
    await waitFor(() => text().includes("\r\n\r\n"));
    return { socket, received, text, closed };
  };

  test("an upgrade to another path or protocol: 400, and nothing else happens", async () => {
    const wrongPath = await rawStream(runners[0]!, "/v1/other");
    await wrongPath.closed;
    expect(wrongPath.text()).toMatch(/^HTTP\/1.1 400/);
    const wrongProtocol = await rawStream(runners[0]!, FRAMES_PATH, "websocket");
    await wrongProtocol.closed;
    expect(wrongProtocol.text()).toMatch(/^HTTP\/1.1 400/);
    expect(wrongProtocol.text()).toMatch(/teetee-frames\/1/);
  });

  test("a record that breaks the framing is answered under its id and closes only its own connection", async () => {
    const other = await FrameStreamConnection.open(runners[0]!.url, 5000);
    const raw = await rawStream(runners[0]!);
    const headerEnd = raw.text().indexOf("\r\n\r\n") + 4;
    expect(raw.text()).toMatch(/^HTTP\/1.1 101/);
    const bad = encodeRecord({ type: RECORD_TYPES.envelope, id: 77, status: 0, body: new Uint8Array(8) });
    bad[4] = 9; // no such record type
    raw.socket.write(bad);
    await raw.closed;
    const records = new RecordReader(4096).push(Buffer.concat(raw.received).subarray(headerEnd));
    // Answered under the record's id, then under id 0: the connection is closing.
    expect(records.map((r) => [r.type, r.id, r.status])).toEqual([
      [RECORD_TYPES.error, 77, 400],
      [RECORD_TYPES.error, 0, 400],
    ]);
    expect(Buffer.from(records[0]!.body).toString()).toMatch(/Unknown frame stream record type 9/);
    // The other connection still serves: a sealed frame gets its 200.
    const channel = createWireChannel({ recipientPublicKey: `0x04${runners[0]!.publicKey.slice(2)}` });
    const reply = await other!.exchange(
      ENVELOPE_CONTENT_TYPE,
      channel.seal({
        kind: "prefill",
        sessionId: crypto.getRandomValues(new Uint8Array(16)),
        step: 0,
        sentAt: Date.now(),
        positionStart: 0,
        positionCount: 2,
        payload: { type: "tokens", tokenIds: Uint32Array.of(5, 6) },
      }),
      5000,
    );
    expect(reply.status).toBe(200);
    other!.close();
  });

  test("a sender that drops its connection mid-record leaves the runner serving", async () => {
    const raw = await rawStream(runners[2]!);
    const record = encodeRecord({ type: RECORD_TYPES.envelope, id: 1, status: 0, body: new Uint8Array(500) });
    raw.socket.end(record.subarray(0, 200));
    await raw.closed;
    const { tokens } = await generateOverRoute({
      route,
      topology: "gateway",
      promptIds: PROMPT,
      maxTokens: 4,
    });
    expect(tokens).toEqual(expected.slice(0, 4));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("restart", () => {
  test("a restarted runner unseals the same key (same address) and serves again", async () => {
    const old = runners[2]!;
    await old.stop();
    const restarted = await network.spawnRunner(2, { dataDir: old.dataDir });
    runners[2] = restarted;
    expect(restarted.runner).toBe(old.runner);
    route[2] = { runner: restarted.runner, endpoint: restarted.endpoint, publicKey: restarted.publicKey };
    const { tokens } = await generateOverRoute({
      route,
      topology: "gateway",
      activationDtype: "fp32",
      promptIds: PROMPT,
      maxTokens: 8,
    });
    expect(tokens).toEqual(expected.slice(0, 8));
  }, 120_000);
});

describe("registration consent", () => {
  test("a runner without the contributor's key serves a signed registration the contributor submits", async () => {
    const contributor = network.chain.accounts(1);
    const port = await freePort();
    const replica = await spawnRunnerProcess({
      args: [
        "--model-dir",
        network.shardDir,
        "--shard",
        "0",
        "--port",
        String(port),
        "--rpc-url",
        network.chain.rpcUrl,
        "--runner-registry",
        network.contracts.runnerRegistry,
        "--model-registry",
        network.contracts.modelRegistry,
        "--data-dir",
        mkdtempSync(join(tmpdir(), "teetee-consent-")),
        "--dstack-endpoint",
        network.devTees[0]!.url,
        "--free",
        "--contributor",
        contributor.address,
      ],
      url: `http://127.0.0.1:${port}`,
    });
    try {
      const outcome = parseRunnerRegistrationDocument(
        await (await fetch(`${replica.url}${REGISTRATION_PATH}`)).json(),
      );
      expect(outcome.action).toBe("printed");
      expect(outcome.action === "printed" && outcome.call.functionName).toBe("registerRunner");
      if (outcome.action !== "printed" || outcome.call.functionName !== "registerRunner") return;
      const { registration, consent } = outcome.call.args;
      expect(consent).toMatch(/^0x[0-9a-f]{130}$/);
      expect(registration.runner).toBe(replica.runner);
      const wallet = createWalletClient({
        account: contributor,
        chain: network.publicClient.chain,
        transport: http(network.chain.rpcUrl),
      });
      const hash = await registerRunner(wallet, {
        contracts: network.contracts,
        registration,
        consent: consent as Hex,
      });
      expect((await network.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
      const record = await getRunner(network.publicClient, {
        contracts: network.contracts,
        runner: replica.runner,
      });
      expect(record.active).toBe(true);
      expect(record.contributor).toBe(contributor.address);
      expect(record.shardIndex).toBe(0);
    } finally {
      await replica.stop();
    }
  }, 120_000);
});
