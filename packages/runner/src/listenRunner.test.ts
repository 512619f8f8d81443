import { describeServerLimits } from "@teetee/devnet/testing";
import { resolveServerLimits, type ServerLimits } from "@teetee/sdk/http";
import { closeFrameStreams, FrameStreamConnection } from "@teetee/sdk/pipeline";
import { PLAIN_FRAME_CONTENT_TYPE } from "@teetee/sdk/protocol";
import pino from "pino";
import { parseRunnerConfig } from "./config.js";
import { createRunnerApp, type RunnerAppParameters } from "./createRunnerApp.js";
import { listenRunner } from "./listenRunner.js";
import { createRunnerMetrics } from "./metrics.js";

const MAX_BODY_BYTES = 4096;
const FRAME_DELAY_MS = 250;
const log = pino({ level: "silent" });
const metrics = createRunnerMetrics();

/** The runner's real HTTP app; the frame handler is left out (these tests never get past the HTTP limits). */
const app = createRunnerApp({
  store: { size: 0, kvBytes: 0 },
  metrics,
  attestation: { runner: "0x1111111111111111111111111111111111111111", modelId: "0x01", shardIndex: 0 },
  maxBodyBytes: MAX_BODY_BYTES,
  log,
} as unknown as RunnerAppParameters);

async function startRunnerServer(limits: Partial<ServerLimits>) {
  const { server, frameStream } = await listenRunner(app, {
    host: "127.0.0.1",
    port: 0,
    ...resolveServerLimits(limits),
    frameStream: {
      // An echo after a delay, so a connection's exchanges can outlast the request timeout.
      processFrame: async (_contentType, body) => {
        await new Promise((resolve) => setTimeout(resolve, FRAME_DELAY_MS));
        return { status: 200, contentType: PLAIN_FRAME_CONTENT_TYPE, body };
      },
      maxBodyBytes: MAX_BODY_BYTES,
      log,
      metrics,
    },
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        frameStream.closeAll();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describeServerLimits("runner", {
  start: startRunnerServer,
  alivePath: "/healthz",
  body: { path: "/v1/frames", contentType: PLAIN_FRAME_CONTENT_TYPE, maxBytes: MAX_BODY_BYTES },
});

test("runner: a frame stream open longer than the request timeout is not cut", async () => {
  const requestTimeoutMs = 400;
  const runner = await startRunnerServer({ requestTimeoutMs, headersTimeoutMs: requestTimeoutMs });
  const connection = (await FrameStreamConnection.open(runner.url, 2000))!;
  try {
    const started = Date.now();
    for (let i = 0; i < 6; i++) {
      const reply = await connection.exchange(PLAIN_FRAME_CONTENT_TYPE, Uint8Array.of(i), 2000);
      expect({ status: reply.status, body: [...reply.body] }).toEqual({ status: 200, body: [i] });
    }
    expect(Date.now() - started).toBeGreaterThan(3 * requestTimeoutMs);
  } finally {
    connection.close();
    closeFrameStreams();
    await runner.close();
  }
});

test("runner: the limits are configuration, with a keep-alive that outlasts a sender's idle gap", () => {
  const config = parseRunnerConfig(
    ["--model-dir", "/tmp/x", "--shard", "0", "--request-timeout-ms", "20000"],
    {},
  );
  expect(config).toMatchObject({
    maxHeaderBytes: 16 * 1024,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 20_000,
    keepAliveTimeoutMs: 65_000,
  });
});
