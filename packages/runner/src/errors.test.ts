import { ManifestError, SequenceTooLongError, TokenizerError } from "@teetee/inference";
import { RunnerRefusedError } from "@teetee/sdk/pipeline";
import { FrameDecryptError, retryAfterOf } from "@teetee/sdk/wire";
import { messageOf, RunnerFullError, RunnerStartupError, statusOf, UnknownSessionError } from "./errors.js";

describe("statusOf: the runner's one map from errors to HTTP statuses", () => {
  test.each([
    ["a runner error's own status", new UnknownSessionError(), 404],
    ["a runner error without one", new RunnerStartupError("x"), 500],
    ["a later hop's refusal, as that hop said it", new RunnerRefusedError("busy", { status: 503 }), 503],
    ["a frame sealed for another key", new FrameDecryptError("cannot open"), 401],
    ["too many positions for the model", new SequenceTooLongError("too long"), 413],
    ["any other inference failure", new TokenizerError("bad tokenizer"), 500],
    ["anything else", new Error("bug"), 500],
  ])("%s", (_, error, status) => {
    expect(statusOf(error)).toBe(status);
  });
});

describe("messageOf: the sentence answered beside the status", () => {
  test("a TeeTee error says its short message, details and causes, then the hint", () => {
    const cause = new ManifestError("shard 1 file a.bin does not match the manifest hash", {
      details: "sha256 0x12",
    });
    const error = new RunnerStartupError(`Refusing to start: ${cause.shortMessage}`, {
      cause,
      hint: "Re-shard.",
    });
    expect(messageOf(error)).toBe(
      "Refusing to start: shard 1 file a.bin does not match the manifest hash — sha256 0x12 — Re-shard.",
    );
  });

  test("a cause another library wrote stays out of the answer", () => {
    const error = new RunnerStartupError("Cannot seal the key", {
      cause: new Error("EACCES: /home/operator/key"),
    });
    expect(messageOf(error)).toBe("Cannot seal the key");
  });

  test("a retry delay travels with the message", () => {
    const error = new RunnerFullError("KV cache full", { retryAfterSeconds: 3 });
    expect(messageOf(error)).toMatch(/^KV cache full — Retry later or on another runner of this shard\./);
    expect(retryAfterOf(messageOf(error))).toBe(3);
  });

  test("anything that is not a TeeTee error reveals nothing", () => {
    const bug = new Error("Cannot read properties of undefined (reading 'prompt text')");
    expect(messageOf(bug)).toBe("Internal runner error");
    expect(messageOf("thrown string")).toBe("Internal runner error");
  });
});
