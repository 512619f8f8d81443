import { describe as describeError, hintOf } from "./describe.js";
import { TeeTeeError } from "./TeeTeeError.js";

class StartupError extends TeeTeeError {
  override name = "StartupError" as const;
}
class ManifestError extends TeeTeeError {
  override name = "ManifestError" as const;
}

describe("describe", () => {
  test("one of our errors: its short message, then its details", () => {
    expect(describeError(new ManifestError("Bad manifest", { details: "shard 2 missing", hint: "h" }))).toBe(
      "Bad manifest — shard 2 missing",
    );
  });

  test("nested causes follow in order, each with its details", () => {
    const error = new StartupError("Refusing to start", {
      cause: new ManifestError("Bad manifest", {
        details: "shard 2 missing",
        cause: new Error("ENOENT: no such file\n    at open"),
      }),
    });
    expect(describeError(error)).toBe(
      "Refusing to start — Bad manifest — shard 2 missing — ENOENT: no such file",
    );
  });

  test("a wrapper that repeats its cause's message says it once", () => {
    const cause = new ManifestError("Shard 2 is not in the manifest");
    const error = new StartupError(`Refusing to start: ${cause.shortMessage}`, { cause });
    expect(describeError(error)).toBe("Refusing to start: Shard 2 is not in the manifest");
  });

  test("a foreign error gives the first line of its message; a viem-style one its short message", () => {
    expect(describeError(new Error("fetch failed\nmore"))).toBe("fetch failed");
    const viemLike = Object.assign(new Error("HTTP request failed.\n\nURL: http://x\nVersion: viem@2"), {
      shortMessage: "HTTP request failed.",
      details: "fetch failed",
    });
    expect(describeError(viemLike)).toBe("HTTP request failed.");
  });

  test("anything thrown reads as a string", () => {
    expect(describeError("boom")).toBe("boom");
    expect(describeError(42)).toBe("42");
    expect(describeError(undefined)).toBe("undefined");
    expect(describeError({ cause: "inner" })).toBe("[object Object] — inner");
  });

  test("with foreign: false, only causes that are TeeTee errors speak", () => {
    const error = new StartupError("Refusing to start", {
      cause: new Error("EACCES: /home/operator/.keys", { cause: new ManifestError("Bad manifest") }),
    });
    expect(describeError(error, { foreign: false })).toBe("Refusing to start — Bad manifest");
    expect(describeError(new Error("bug\nat x"), { foreign: false })).toBe("bug");
  });

  test("hints are not in the sentence", () => {
    expect(describeError(new TeeTeeError("x", { hint: "Run with --help." }))).toBe("x");
  });
});

describe("hintOf", () => {
  test("the outermost hint along the chain wins", () => {
    const error = new StartupError("a", { hint: "outer", cause: new ManifestError("b", { hint: "inner" }) });
    expect(hintOf(error)).toBe("outer");
  });

  test("a cause's hint when the wrapper has none", () => {
    expect(hintOf(new StartupError("a", { cause: new ManifestError("b", { hint: "inner" }) }))).toBe("inner");
  });

  test("undefined when no error in the chain has one", () => {
    expect(hintOf(new Error("x"))).toBeUndefined();
    expect(hintOf("x")).toBeUndefined();
  });
});
