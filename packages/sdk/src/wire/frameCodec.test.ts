import fc from "fast-check";
import type { Hex } from "viem";
import { decodeFrame } from "./decodeFrame.js";
import { encodeFrame } from "./encodeFrame.js";
import {
  FrameFieldError,
  FrameFormatError,
  FrameShapeError,
  FrameTooLargeError,
  FrameTruncatedError,
  WireError,
} from "./errors.js";
import type { Frame, FramePayload, RouteHop } from "./frame.js";

const sessionId = Uint8Array.from({ length: 16 }, (_, index) => index);
const publicKey: Hex = `0x02${"ab".repeat(32)}`;
const hop: RouteHop = {
  runner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  endpoint: "https://runner-1.example/v1/frames",
  publicKey,
};

function frame(payload: FramePayload, overrides: Partial<Frame> = {}): Frame {
  return {
    kind: payload.type === "sample" ? "result" : payload.type === "error" ? "error" : "decode",
    sessionId,
    step: 7,
    sentAt: 1_750_000_000_000,
    positionStart: 12,
    positionCount: payload.type === "tokens" ? payload.tokenIds.length : payload.type === "hidden" ? 2 : 1,
    voucher: Uint8Array.of(1, 2, 3),
    route: [hop],
    payload,
    ...overrides,
  };
}

const hidden = frame({
  type: "hidden",
  dtype: "fp16",
  shape: [2, 3],
  data: Uint16Array.of(1, 2, 3, 4, 5, 0xffff),
});

/** Offset of the first payload byte, read from the header-length field. */
function headerLength(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
}

function expectRoundTrip(input: Frame): void {
  const decoded = decodeFrame(encodeFrame(input));
  expect(decoded).toEqual({
    ...input,
    voucher: input.voucher ?? new Uint8Array(0),
    route: input.route ?? [],
  });
}

describe("frame round-trips", () => {
  test.each<[string, FramePayload]>([
    ["token ids for shard 0", { type: "tokens", tokenIds: Uint32Array.of(1, 15043, 3186, 0xffffffff) }],
    [
      "fp32 hidden states",
      { type: "hidden", dtype: "fp32", shape: [2, 2], data: Float32Array.of(1.5, -0, 3e38, -1e-40) },
    ],
    [
      "fp16 hidden states",
      { type: "hidden", dtype: "fp16", shape: [2, 3], data: Uint16Array.of(1, 2, 3, 4, 5, 6) },
    ],
    ["a sampled token", { type: "sample", tokenId: 29871, logprob: -0.125 }],
    ["an error", { type: "error", code: 503, message: "KV cache full — retry later" }],
  ])("%s", (_label, payload) => {
    expectRoundTrip(frame(payload));
  });

  test("a frame without voucher or route", () => {
    const { voucher: _voucher, route: _route, ...bare } = hidden;
    expectRoundTrip(bare);
  });

  const hopArbitrary = fc.record({
    runner: fc
      .uint8Array({ minLength: 20, maxLength: 20 })
      .map((bytes) => `0x${Buffer.from(bytes).toString("hex")}`),
    endpoint: fc.string({ maxLength: 60 }),
    publicKey: fc
      .uint8Array({ minLength: 33, maxLength: 33 })
      .map((bytes) => `0x${Buffer.from(bytes).toString("hex")}` as Hex),
  });

  test("any valid hidden-state frame round-trips (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 16 }),
        fc.constantFrom("fp16", "fp32"),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(hopArbitrary, { maxLength: 4 }),
        fc.record({ step: fc.nat(), positionStart: fc.nat(), sentAt: fc.nat() }),
        (positions, width, dtype, voucher, route, numbers) => {
          const count = positions * width;
          const payload: FramePayload =
            dtype === "fp16"
              ? {
                  type: "hidden",
                  dtype,
                  shape: [positions, width],
                  data: Uint16Array.from({ length: count }, (_, i) => i),
                }
              : {
                  type: "hidden",
                  dtype,
                  shape: [positions, width],
                  data: Float32Array.from({ length: count }, (_, i) => i / 3),
                };
          const input = frame(payload, {
            ...numbers,
            positionCount: positions,
            voucher,
            route: route.map((h) => ({ ...h, runner: h.runner as Hex })),
          });
          const decoded = decodeFrame(encodeFrame(input));
          expect(decoded.payload).toEqual(payload);
          expect(decoded.voucher).toEqual(voucher);
          expect(decoded.route.map((h) => h.runner.toLowerCase())).toEqual(route.map((h) => h.runner));
          expect(decoded.route.map((h) => h.endpoint)).toEqual(route.map((h) => h.endpoint));
          expect(decoded.step).toBe(numbers.step);
        },
      ),
    );
  });

  test("decoding arbitrary bytes only ever throws WireError (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeFrame(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(WireError);
        }
      }),
    );
  });

  test("mutating any single byte of a frame never crashes the decoder (property)", () => {
    const valid = encodeFrame(hidden);
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), (offset, xor) => {
        const mutated = valid.slice();
        mutated[offset] = (mutated[offset] ?? 0) ^ xor;
        try {
          decodeFrame(mutated);
        } catch (error) {
          expect(error).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});

describe("malformed frames are refused by name", () => {
  const valid = encodeFrame(hidden);

  function mutate(edit: (bytes: Uint8Array, view: DataView) => void): Uint8Array {
    const bytes = valid.slice();
    edit(bytes, new DataView(bytes.buffer));
    return bytes;
  }

  test.each([0, 1, 11, 47, 60, valid.length - 1])("truncated to %i bytes", (length) => {
    expect(() => decodeFrame(valid.slice(0, length))).toThrow(
      length < headerLength(valid) ? WireError : FrameShapeError,
    );
  });

  test("truncated inside the fixed header", () => {
    expect(() => decodeFrame(valid.slice(0, 20))).toThrow(FrameTruncatedError);
  });

  test("a truncated payload is a shape mismatch", () => {
    expect(() => decodeFrame(valid.slice(0, valid.length - 2))).toThrow(FrameShapeError);
  });

  test("extra payload bytes are a shape mismatch", () => {
    const longer = new Uint8Array(valid.length + 2);
    longer.set(valid);
    expect(() => decodeFrame(longer)).toThrow(FrameShapeError);
  });

  test("bad magic", () => {
    expect(() => decodeFrame(mutate((bytes) => (bytes[0] = 0)))).toThrow(FrameFormatError);
  });

  test("unknown version", () => {
    expect(() => decodeFrame(mutate((bytes) => (bytes[4] = 9)))).toThrow(FrameFormatError);
  });

  test("unknown kind", () => {
    expect(() => decodeFrame(mutate((bytes) => (bytes[5] = 42)))).toThrow(FrameFieldError);
  });

  test("unknown dtype", () => {
    expect(() => decodeFrame(mutate((bytes) => (bytes[6] = 99)))).toThrow(FrameFieldError);
  });

  test("a dtype the kind cannot carry", () => {
    expect(() => decodeFrame(mutate((bytes) => (bytes[6] = 4)))).toThrow(FrameFieldError);
  });

  test("fp32 declared over fp16 bytes (wrong dtype)", () => {
    expect(() => decodeFrame(mutate((bytes) => (bytes[6] = 2)))).toThrow(FrameShapeError);
  });

  test("rank beyond the maximum", () => {
    expect(() => decodeFrame(mutate((bytes) => (bytes[7] = 9)))).toThrow(FrameFieldError);
  });

  test("shape that disagrees with the byte length", () => {
    expect(() => decodeFrame(mutate((_bytes, view) => view.setUint32(52, 4, true)))).toThrow(FrameShapeError);
  });

  test("shape that disagrees with the positions", () => {
    expect(() => decodeFrame(mutate((_bytes, view) => view.setUint32(44, 3, true)))).toThrow(FrameShapeError);
  });

  test("header length past the end", () => {
    expect(() => decodeFrame(mutate((_bytes, view) => view.setUint32(8, 1 << 30, true)))).toThrow(
      FrameTruncatedError,
    );
  });

  test("header length inside the fixed header", () => {
    expect(() => decodeFrame(mutate((_bytes, view) => view.setUint32(8, 10, true)))).toThrow(
      FrameTruncatedError,
    );
  });

  test("oversized voucher length", () => {
    expect(() => decodeFrame(mutate((_bytes, view) => view.setUint16(56, 0xffff, true)))).toThrow(
      FrameTooLargeError,
    );
  });

  test("voucher length running past the header", () => {
    expect(() => decodeFrame(mutate((_bytes, view) => view.setUint16(56, 4000, true)))).toThrow(
      FrameTruncatedError,
    );
  });

  test("too many route hops", () => {
    expect(() => decodeFrame(mutate((bytes) => (bytes[61] = 200)))).toThrow(FrameTooLargeError);
  });

  test("payload over the configured limit", () => {
    expect(() => decodeFrame(valid, { maxPayloadBytes: 8 })).toThrow(FrameTooLargeError);
  });

  test("invalid UTF-8 in an error message", () => {
    const bytes = encodeFrame(frame({ type: "error", code: 1, message: "ab" }));
    bytes[bytes.length - 1] = 0xff;
    expect(() => decodeFrame(bytes)).toThrow(FrameFieldError);
  });

  test("a sample payload of the wrong size", () => {
    const bytes = encodeFrame(frame({ type: "sample", tokenId: 1, logprob: 0 }));
    expect(() => decodeFrame(bytes.slice(0, bytes.length - 1))).toThrow(FrameShapeError);
  });

  test("tokens with rank 2", () => {
    const bytes = encodeFrame(frame({ type: "tokens", tokenIds: Uint32Array.of(1, 2) }));
    // Rewrite as rank 2 by claiming shape [2, 1]: a rank the tokens dtype does not allow.
    const widened = new Uint8Array(bytes.length + 4);
    widened.set(bytes.subarray(0, 52));
    new DataView(widened.buffer).setUint32(52, 1, true);
    widened.set(bytes.subarray(52), 56);
    widened[7] = 2;
    new DataView(widened.buffer).setUint32(8, headerLength(bytes) + 4, true);
    expect(() => decodeFrame(widened)).toThrow(FrameShapeError);
  });
});

describe("the encoder refuses what the decoder would", () => {
  test.each<[string, Frame, new (...args: never[]) => WireError]>([
    ["a short session id", { ...hidden, sessionId: new Uint8Array(8) }, FrameFieldError],
    ["a negative step", { ...hidden, step: -1 }, FrameFieldError],
    [
      "a shape that disagrees with the data",
      { ...hidden, payload: { type: "hidden", dtype: "fp16", shape: [2, 4], data: new Uint16Array(6) } },
      FrameShapeError,
    ],
    ["positions that disagree with the shape", { ...hidden, positionCount: 5 }, FrameShapeError],
    [
      "fp16 data in a Float32Array",
      {
        ...hidden,
        payload: {
          type: "hidden",
          dtype: "fp16",
          shape: [2, 3],
          data: new Float32Array(6) as unknown as Uint16Array,
        },
      },
      FrameFieldError,
    ],
    [
      "a sample in a decode frame",
      { ...hidden, payload: { type: "sample", tokenId: 1, logprob: 0 } },
      FrameFieldError,
    ],
    ["a huge voucher", { ...hidden, voucher: new Uint8Array(5000) }, FrameTooLargeError],
    ["a route hop with a bad key", { ...hidden, route: [{ ...hop, publicKey: "0x02" }] }, FrameFieldError],
  ])("%s", (_label, input, error) => {
    expect(() => encodeFrame(input)).toThrow(error);
  });
});
