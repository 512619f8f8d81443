import { keccak256, toHex } from "viem";
import { encodeSignedReceipt, SIGNED_RECEIPT_LENGTH, type SignedReceipt } from "../receipts/index.js";
import { decodeFrame } from "./decodeFrame.js";
import { encodeFrame } from "./encodeFrame.js";
import { FrameFieldError, FrameShapeError, FrameTooLargeError, WireError } from "./errors.js";
import { dtypeCodes, type Frame, kindCodes } from "./frame.js";

const sessionId = Uint8Array.from({ length: 16 }, (_, index) => index);
const signed = (shardIndex: number): SignedReceipt => ({
  receipt: {
    modelId: keccak256(toHex("model")),
    shardIndex,
    sessionId: toHex(sessionId),
    positionStart: 0,
    positionCount: 40,
    paramsHash: keccak256(toHex("params")),
    inputHash: keccak256(toHex(`in ${shardIndex}`)),
    outputHash: keccak256(toHex(`out ${shardIndex}`)),
    previousReceipt: keccak256(toHex(`previous ${shardIndex}`)),
    issuedAt: 1_800_000_000n,
  },
  signature: `0x${"1b".repeat(65)}`,
});

const ask = (payload: Frame["payload"]): Frame => ({
  kind: "receipt",
  sessionId,
  step: 41,
  sentAt: 1_750_000_000_000,
  positionStart: 0,
  positionCount: 0,
  payload,
});
const answer = (receipts: SignedReceipt[]): Frame => ({
  ...ask({ type: "receipts", receipts }),
  kind: "result",
});

function roundTrip(frame: Frame) {
  return decodeFrame(encodeFrame(frame));
}

/** The bytes of an encoded frame with its payload dtype, rank-1 shape and payload bytes rewritten. */
function withReceiptPayload(frame: Frame, count: number, payload: Uint8Array): Uint8Array {
  const bytes = encodeFrame(frame);
  const view = new DataView(bytes.buffer);
  const headerLength = view.getUint32(8, true);
  expect(bytes[7]).toBe(1);
  view.setUint32(48, count, true);
  const out = new Uint8Array(headerLength + payload.length);
  out.set(bytes.subarray(0, headerLength));
  out.set(payload, headerLength);
  return out;
}

describe("receipt frames (kind 7) and receipts payloads (dtype 7)", () => {
  test("the codes are the protocol's", () => {
    expect(kindCodes.receipt).toBe(7);
    expect(dtypeCodes.receipts).toBe(7);
  });

  test("shard 0's request (no receipt), a later runner's (the previous receipt) and the answer round-trip", () => {
    expect(roundTrip(ask({ type: "empty" }))).toMatchObject({ kind: "receipt", payload: { type: "empty" } });
    const one = roundTrip(ask({ type: "receipts", receipts: [signed(0)] }));
    expect(one.kind).toBe("receipt");
    expect(one.payload).toEqual({ type: "receipts", receipts: [signed(0)] });
    const route = [signed(1), signed(2), signed(3)];
    const reply = roundTrip(answer(route));
    expect(reply.kind).toBe("result");
    expect(reply.payload).toEqual({ type: "receipts", receipts: route });
  });

  test("each receipt costs its fixed 259 bytes on the wire", () => {
    const one = encodeFrame(answer([signed(1)])).length;
    const three = encodeFrame(answer([signed(1), signed(2), signed(3)])).length;
    expect(three - one).toBe(2 * SIGNED_RECEIPT_LENGTH);
  });

  test("the encoder refuses a receipt frame with several receipts, an empty list, a bad receipt, too many", () => {
    expect(() => encodeFrame(ask({ type: "receipts", receipts: [signed(0), signed(1)] }))).toThrow(
      FrameFieldError,
    );
    expect(() => encodeFrame(answer([]))).toThrow(FrameFieldError);
    const bad = { ...signed(0), signature: "0x12" as const };
    expect(() => encodeFrame(answer([bad]))).toThrow(/Receipt 0 cannot be encoded/);
    expect(() => encodeFrame(answer(Array.from({ length: 18 }, (_, i) => signed(i))))).toThrow(
      FrameTooLargeError,
    );
    expect(() => encodeFrame({ ...ask({ type: "empty" }), kind: "decode" })).toThrow(FrameFieldError);
    expect(() => encodeFrame(ask({ type: "tokens", tokenIds: Uint32Array.of(1) }))).toThrow(FrameFieldError);
  });

  test("the decoder refuses by name: a count that disagrees with the bytes, none, too many, several to ask", () => {
    const base = answer([signed(1)]);
    const receipt = encodeSignedReceipt(signed(1));
    const twice = new Uint8Array(2 * SIGNED_RECEIPT_LENGTH);
    twice.set(receipt);
    twice.set(receipt, SIGNED_RECEIPT_LENGTH);
    expect(() => decodeFrame(withReceiptPayload(base, 2, receipt))).toThrow(FrameShapeError);
    expect(() => decodeFrame(withReceiptPayload(base, 1, receipt.subarray(1)))).toThrow(FrameShapeError);
    expect(() => decodeFrame(withReceiptPayload(base, 0, new Uint8Array(0)))).toThrow(FrameShapeError);
    expect(() => decodeFrame(withReceiptPayload(base, 2, twice), { maxReceipts: 1 })).toThrow(
      FrameTooLargeError,
    );
    expect(decodeFrame(withReceiptPayload(base, 2, twice)).payload).toEqual({
      type: "receipts",
      receipts: [signed(1), signed(1)],
    });
    const asking = withReceiptPayload(ask({ type: "receipts", receipts: [signed(0)] }), 2, twice);
    expect(() => decodeFrame(asking)).toThrow(/receipt alone, or nothing/);
  });

  test("a receipts payload only rides receipt and result frames; arbitrary mutations only ever throw WireError", () => {
    const bytes = encodeFrame(answer([signed(1), signed(2)]));
    for (const kind of [1, 2, 4, 5, 6]) {
      const mutated = bytes.slice();
      mutated[5] = kind;
      expect(() => decodeFrame(mutated)).toThrow(FrameFieldError);
    }
    for (let i = 0; i < bytes.length; i += 7) {
      const mutated = bytes.slice();
      mutated[i]! ^= 0xa5;
      try {
        decodeFrame(mutated);
      } catch (error) {
        expect(error).toBeInstanceOf(WireError);
      }
    }
  });

  describe("an error frame with the receipts its runner holds", () => {
    const refusal = (receipts?: SignedReceipt[]): Frame => ({
      ...ask({ type: "error", code: 502, message: "Runner 0xabc (shard 2) refused — ünreachable", receipts }),
      kind: "error",
    });

    test("round-trips its code, receipts and message; without receipts it is the plain error payload", () => {
      expect(roundTrip(refusal([signed(0), signed(1)])).payload).toEqual({
        type: "error",
        code: 502,
        message: "Runner 0xabc (shard 2) refused — ünreachable",
        receipts: [signed(0), signed(1)],
      });
      const plain = encodeFrame(refusal());
      expect(encodeFrame(refusal([]))).toEqual(plain);
      expect(decodeFrame(plain).payload).toEqual({
        type: "error",
        code: 502,
        message: "Runner 0xabc (shard 2) refused — ünreachable",
      });
      const withTwo = encodeFrame(refusal([signed(0), signed(1)]));
      expect(withTwo.length - plain.length).toBe(4 + 2 * SIGNED_RECEIPT_LENGTH);
    });

    test("the decoder refuses a count the bytes do not hold, and more receipts than a route has", () => {
      const bytes = encodeFrame(refusal([signed(0)]));
      const headerLength = new DataView(bytes.buffer).getUint32(8, true);
      expect(() => decodeFrame(bytes.subarray(0, headerLength + 4 + SIGNED_RECEIPT_LENGTH - 1))).toThrow(
        FrameShapeError,
      );
      const many = bytes.slice();
      new DataView(many.buffer).setUint32(48, 18, true);
      expect(() => decodeFrame(many)).toThrow(WireError);
      expect(() => encodeFrame(refusal(Array.from({ length: 18 }, (_, i) => signed(i))))).toThrow(
        FrameTooLargeError,
      );
    });
  });
});
