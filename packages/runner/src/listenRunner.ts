import type { RequestListener, Server } from "node:http";
import { createLimitedServer, type ServerLimits } from "@teetee/sdk/http";
import {
  attachFrameStream,
  type FrameStreamServer,
  type FrameStreamServerParameters,
} from "./frameStreamServer.js";

export type ListenRunnerParameters = {
  host: string;
  port: number;
  frameStream: FrameStreamServerParameters;
} & ServerLimits;

export type ListeningRunner = { server: Server; frameStream: FrameStreamServer };

/**
 * Serves the runner's app and its frame stream under the configured {@link ServerLimits}. The request timeout bounds
 * receiving a request; an upgraded frame stream is no request any more, and is bounded by its own idle timeout.
 */
export async function listenRunner(
  app: RequestListener,
  params: ListenRunnerParameters,
): Promise<ListeningRunner> {
  const { host, port, maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = params;
  const server = createLimitedServer(app, {
    limits: { maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return { server, frameStream: attachFrameStream(server, params.frameStream) };
}
