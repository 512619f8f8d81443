import type { RequestListener, Server } from "node:http";
import { createLimitedServer, type ServerLimits } from "@teetee/sdk/http";
import type { OpenAIErrorBody } from "./toOpenAIError.js";

export type ListenGatewayParameters = { host: string; port: number } & ServerLimits;

/**
 * Serves the gateway's app under the configured {@link ServerLimits}; what Node refuses before the app runs (a head
 * too large, a request too slow) is answered in OpenAI's error JSON like everything else.
 */
export function listenGateway(app: RequestListener, params: ListenGatewayParameters): Promise<Server> {
  const { host, port, maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = params;
  const server = createLimitedServer(app, {
    limits: { maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs },
    errorBody: (_status, code, message): OpenAIErrorBody => ({
      error: { message, type: "invalid_request_error", param: null, code },
    }),
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
