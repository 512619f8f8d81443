import { describe as describeError, hintOf } from "@teetee/errors";
import { parseGatewayConfig } from "./config.js";
import { GatewayError, GatewayStartupError } from "./errors.js";
import { toOpenAIError } from "./toOpenAIError.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("parseGatewayConfig", () => {
  test("reads flags over the environment", () => {
    const config = parseGatewayConfig(["--model", "m=/models/m", "--port", "9000"], {
      TEETEE_GATEWAY_PORT: "1",
    });
    expect(config).toMatchObject({ models: [{ name: "m", dir: "/models/m" }], port: 9000 });
  });

  test("an invalid configuration is a start-up failure naming the field, not an HTTP answer", () => {
    const error = thrown(() => parseGatewayConfig(["--model", "/m", "--port", "x"], {}));
    expect(error).toBeInstanceOf(GatewayStartupError);
    expect(error).not.toBeInstanceOf(GatewayError);
    expect(error).not.toHaveProperty("status");
    expect(describeError(error)).toMatch(/^Invalid gateway configuration — port: /);
    expect(hintOf(error)).toBe("Run with --help.");
  });

  test("a start-up failure that reached the request handler would be the 500 that reveals nothing", () => {
    const error = thrown(() => parseGatewayConfig([], {}));
    expect(toOpenAIError(error)).toEqual({
      status: 500,
      body: {
        error: {
          message: "The gateway failed unexpectedly.",
          type: "server_error",
          param: null,
          code: "internal_error",
        },
      },
    });
  });
});
