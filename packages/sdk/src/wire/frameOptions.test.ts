import { decodeFrame } from "./decodeFrame.js";
import { encodeFrame } from "./encodeFrame.js";
import { FrameFieldError, FrameShapeError } from "./errors.js";
import type { Frame } from "./frame.js";

const base: Frame = {
  kind: "prefill",
  sessionId: new Uint8Array(16).fill(7),
  step: 0,
  sentAt: 1_750_000_000_000,
  positionStart: 0,
  positionCount: 3,
  payload: { type: "tokens", tokenIds: Uint32Array.of(1, 2, 3) },
};

describe("frame options", () => {
  test("sampling parameters round-trip exactly (float64 temperature and top-p)", () => {
    const sampling = { temperature: 0.7, topK: 40, topP: 0.9, seed: 4_000_000_000 };
    const decoded = decodeFrame(
      encodeFrame({ ...base, sampling, activationDtype: "fp16", skipSample: true, logprobs: true }),
    );
    expect(decoded.sampling).toEqual(sampling);
    expect(decoded.activationDtype).toBe("fp16");
    expect(decoded.skipSample).toBe(true);
    expect(decoded.logprobs).toBe(true);
  });

  test("absent options decode as absent", () => {
    const decoded = decodeFrame(encodeFrame(base));
    expect(decoded.sampling).toBeUndefined();
    expect(decoded.skipSample).toBeUndefined();
    expect(decoded.activationDtype).toBeUndefined();
    expect(decoded.logprobs).toBeUndefined();
  });

  test.each([
    { temperature: -1, topK: 0, topP: 1, seed: 0 },
    { temperature: Number.NaN, topK: 0, topP: 1, seed: 0 },
    { temperature: 1, topK: 0, topP: 0, seed: 0 },
    { temperature: 1, topK: -1, topP: 1, seed: 0 },
    { temperature: 1, topK: 0, topP: 1, seed: 1.5 },
  ])("invalid sampling %o is refused by the encoder", (sampling) => {
    expect(() => encodeFrame({ ...base, sampling })).toThrow(FrameFieldError);
  });

  test("invalid sampling bytes are refused by the decoder", () => {
    const bytes = encodeFrame({ ...base, sampling: { temperature: 1, topK: 0, topP: 1, seed: 0 } });
    const headerLength = new DataView(bytes.buffer).getUint32(8, true);
    // top-p is the float64 at 12 bytes into the 24-byte sampling block that ends the header.
    new DataView(bytes.buffer).setFloat64(headerLength - 24 + 12, 2, true);
    expect(() => decodeFrame(bytes)).toThrow(FrameFieldError);
  });

  test("unknown option flags are refused", () => {
    const bytes = encodeFrame(base);
    const headerLength = new DataView(bytes.buffer).getUint32(8, true);
    bytes[headerLength - 1] = 0x80;
    expect(() => decodeFrame(bytes)).toThrow(FrameFieldError);
  });

  test("drop requests and empty or hidden-state results round-trip", () => {
    for (const frame of [
      { ...base, kind: "drop", positionCount: 0, payload: { type: "empty" } },
      { ...base, kind: "result", positionCount: 0, payload: { type: "empty" } },
      {
        ...base,
        kind: "result",
        positionCount: 1,
        payload: { type: "hidden", dtype: "fp16", shape: [1, 2], data: Uint16Array.of(1, 2) },
      },
    ] satisfies Frame[]) {
      expect(decodeFrame(encodeFrame(frame)).payload).toEqual(frame.payload);
    }
  });

  test("a drop frame cannot carry tokens, an empty payload cannot carry bytes", () => {
    expect(() => encodeFrame({ ...base, kind: "drop" })).toThrow(FrameFieldError);
    const bytes = encodeFrame({ ...base, kind: "drop", positionCount: 0, payload: { type: "empty" } });
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => decodeFrame(longer)).toThrow(FrameShapeError);
  });
});
