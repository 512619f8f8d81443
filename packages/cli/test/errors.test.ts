import { TeeTeeError } from "@teetee/errors";
import { PaymentError } from "@teetee/sdk/payments";
import { HttpRequestError } from "viem";
import { CliError, ExitCode, toCliError } from "../src/lib/errors.js";

describe("toCliError: the CLI's one map from errors to exit codes", () => {
  test("a CliError is reported as it is", () => {
    const error = new CliError("No key.", { exitCode: ExitCode.config });
    expect(toCliError(error)).toBe(error);
  });

  test("a connection failure anywhere along the causes exits 4 and says the root cause", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const error = new HttpRequestError({
      url: "http://127.0.0.1:9",
      cause: new TypeError("fetch failed", { cause: refused }),
    });
    const cli = toCliError(error);
    expect(cli.exitCode).toBe(ExitCode.network);
    expect(cli.shortMessage).toBe(
      "Network error: HTTP request failed. — fetch failed — connect ECONNREFUSED 127.0.0.1:9",
    );
    expect(cli.hint).toMatch(/--rpc-url/);
  });

  test("any other error exits 1 with its short message, details and causes, and the first hint along them", () => {
    const error = new TeeTeeError("Cannot seal the key", {
      details: "no dstack socket",
      cause: new TeeTeeError("dstack unreachable", { hint: "Start the dev TEE." }),
    });
    const cli = toCliError(error);
    expect(cli.exitCode).toBe(ExitCode.unexpected);
    expect(cli.shortMessage).toBe("Cannot seal the key — no dstack socket — dstack unreachable");
    expect(cli.hint).toBe("Start the dev TEE.");
  });

  test("a CliError is a TeeTeeError whose message carries its hint on a line of its own", () => {
    const error = new CliError("No key.", { exitCode: ExitCode.config, hint: "Set TEETEE_PRIVATE_KEY." });
    expect(error).toBeInstanceOf(TeeTeeError);
    expect(error.message).toBe("No key.\nHint: Set TEETEE_PRIVATE_KEY.");
  });
});

describe("toCliError for a refused API key", () => {
  test("a malformed API key is bad usage (exit 2), saying what a key looks like", () => {
    const cli = toCliError(
      new PaymentError("invalid_api_key", "The API key is malformed.", {
        hint: "Expected tt_<buyer>_<key>.",
      }),
    );
    expect(cli.exitCode).toBe(ExitCode.usage);
    expect(cli.shortMessage).toBe("The API key is malformed.");
    expect(cli.hint).toBe("Expected tt_<buyer>_<key>.");
  });
});
