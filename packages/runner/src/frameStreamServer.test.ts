import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { closeFrameStreams, FrameStreamConnection, sendFrame } from "@teetee/sdk/pipeline";
import { PLAIN_FRAME_CONTENT_TYPE } from "@teetee/sdk/protocol";
import pino from "pino";
import { attachFrameStream, type FrameStreamServer } from "./frameStreamServer.js";
import { createRunnerMetrics } from "./metrics.js";

/** A frame stream over a bare HTTP server whose "runner" echoes each body back after `delayMs`. */
async function echoStream(options: { idleTimeoutMs: number; delayMs?: number }) {
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const stream: FrameStreamServer = attachFrameStream(server, {
    processFrame: async (_contentType, body) => {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 0));
      return { status: 200, contentType: PLAIN_FRAME_CONTENT_TYPE, body };
    },
    maxBodyBytes: 1024,
    idleTimeoutMs: options.idleTimeoutMs,
    log: pino({ level: "silent" }),
    metrics: createRunnerMetrics(),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    stream,
    endpoint,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const waitFor = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe("frame stream server", () => {
  test("an idle connection is closed; the sender's next frame opens a new one", async () => {
    const { stream, endpoint, close } = await echoStream({ idleTimeoutMs: 150 });
    const send = (bytes: number[]) =>
      sendFrame({ endpoint, body: Uint8Array.from(bytes), contentType: PLAIN_FRAME_CONTENT_TYPE });
    try {
      expect([...(await send([1, 2, 3])).body]).toEqual([1, 2, 3]);
      expect(stream.connections()).toBe(1);
      await waitFor(() => stream.connections() === 0);
      expect(stream.connections()).toBe(0);
      expect([...(await send([4, 5])).body]).toEqual([4, 5]);
      expect(stream.connections()).toBe(1);
    } finally {
      closeFrameStreams();
      stream.closeAll();
      await close();
    }
  });

  test("a connection serving a slow frame is not idle", async () => {
    const { stream, endpoint, close } = await echoStream({ idleTimeoutMs: 100, delayMs: 400 });
    const connection = (await FrameStreamConnection.open(endpoint, 2000))!;
    const reply = await connection.exchange(PLAIN_FRAME_CONTENT_TYPE, Uint8Array.of(9), 2000);
    expect(reply.status).toBe(200);
    expect([...reply.body]).toEqual([9]);
    connection.close();
    stream.closeAll();
    await close();
  });
});
