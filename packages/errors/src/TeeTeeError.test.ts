import { TeeTeeError } from "./TeeTeeError.js";

class WireError extends TeeTeeError {
  override name: string = "WireError";
}
class FrameDecryptError extends WireError {
  override name = "FrameDecryptError" as const;
}

describe("TeeTeeError", () => {
  test("keeps the short message, details, hint, retry delay and cause apart", () => {
    const cause = new Error("invalid tag");
    const error = new FrameDecryptError("Cannot open the envelope", {
      cause,
      details: "sealed for another key",
      hint: "Fetch the runner's attestation again.",
      retryAfterSeconds: 2,
    });
    expect(error).toMatchObject({
      name: "FrameDecryptError",
      shortMessage: "Cannot open the envelope",
      details: "sealed for another key",
      hint: "Fetch the runner's attestation again.",
      retryAfterSeconds: 2,
      cause,
    });
  });

  test("message spells out details, cause and hint on labelled lines", () => {
    const error = new TeeTeeError("Short", { details: "d", cause: new Error("c"), hint: "h" });
    expect(error.message).toBe("Short\nDetails: d\nCause: c\nHint: h");
    expect(new TeeTeeError("Only").message).toBe("Only");
  });

  test("a cause whose message is the details is not said twice", () => {
    expect(new TeeTeeError("Short", { details: "same", cause: new Error("same") }).message).toBe(
      "Short\nDetails: same",
    );
  });

  test("no cause option means no cause property", () => {
    expect("cause" in new TeeTeeError("x")).toBe(false);
  });

  test("kinds are classes: instanceof sees the whole hierarchy, name is the literal of the class", () => {
    const error: unknown = new FrameDecryptError("x");
    expect(error).toBeInstanceOf(FrameDecryptError);
    expect(error).toBeInstanceOf(WireError);
    expect(error).toBeInstanceOf(TeeTeeError);
    expect(error).toBeInstanceOf(Error);
    expect(new WireError("x")).not.toBeInstanceOf(FrameDecryptError);
    expect((error as Error).name).toBe("FrameDecryptError");
    expect(new TeeTeeError("x").name).toBe("TeeTeeError");
  });

  test("the stack names the class and the short message", () => {
    expect(new FrameDecryptError("Cannot open").stack).toMatch(/^FrameDecryptError: Cannot open/);
  });
});

describe("TeeTeeError as JSON", () => {
  const cause = new Error("secret path /var/lib/teetee/key.json");
  const error = new FrameDecryptError("Cannot open the envelope", { cause, details: "d", hint: "h" });
  const json = JSON.stringify({ error });

  test("carries the name and the sentences", () => {
    expect(JSON.parse(json)).toEqual({
      error: { name: "FrameDecryptError", shortMessage: "Cannot open the envelope", details: "d", hint: "h" },
    });
  });

  test("never the stack, nor the cause's text", () => {
    expect(error.stack).toMatch(/\n\s+at /);
    expect(json).not.toMatch(/\bat /);
    expect(json).not.toContain("stack");
    expect(json).not.toContain("secret path");
  });

  test("leaves out what is not set", () => {
    expect(JSON.parse(JSON.stringify(new TeeTeeError("x")))).toEqual({
      name: "TeeTeeError",
      shortMessage: "x",
    });
  });
});
