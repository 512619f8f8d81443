import { describe as describeError } from "@teetee/errors";
import { parseGatewayConfig } from "./config.js";
import { GatewayError, GatewayStartupError } from "./errors.js";
import { startGateway } from "./startGateway.js";

test("a gateway that cannot reach its chain fails to start, saying which URL, with no HTTP status", async () => {
  const config = parseGatewayConfig(["--model", "/nonexistent", "--rpc-url", "http://127.0.0.1:9"], {});
  const failure = await startGateway({ config }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(GatewayStartupError);
  expect(failure).not.toBeInstanceOf(GatewayError);
  expect(describeError(failure)).toMatch(/^Cannot reach the chain at http:\/\/127\.0\.0\.1:9/);
});
