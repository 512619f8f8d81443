import { secp256k1 } from "@noble/curves/secp256k1";
import { float32ToFloat16Array } from "@teetee/inference/float16";
import { bytesToHex } from "viem";
import {
  FrameDecryptError,
  FrameFormatError,
  FrameReplayError,
  FrameTruncatedError,
  WireKeyError,
} from "./errors.js";
import type { Frame } from "./frame.js";
import { createWireChannel } from "./WireChannel.js";
import { WireReceiver } from "./WireReceiver.js";

const runnerKey = secp256k1.utils.randomPrivateKey();
const runnerPublicKey = bytesToHex(secp256k1.getPublicKey(runnerKey, true));
const sessionId = Uint8Array.from({ length: 16 }, (_, index) => 100 + index);

function decodeFrameAt(step: number, hiddenSize = 8): Frame {
  const data = float32ToFloat16Array(Float32Array.from({ length: hiddenSize }, (_, i) => Math.sin(i + step)));
  return {
    kind: "decode",
    sessionId,
    step,
    sentAt: Date.now(),
    positionStart: 10 + step,
    positionCount: 1,
    voucher: Uint8Array.of(9, 9),
    payload: { type: "hidden", dtype: "fp16", shape: [1, hiddenSize], data },
  };
}

describe("sealed frames", () => {
  test("round-trip to the runner and a reply back to the sender", () => {
    const channel = createWireChannel({ recipientPublicKey: runnerPublicKey });
    const receiver = new WireReceiver({ privateKey: runnerKey });
    const request = decodeFrameAt(0);
    const opened = receiver.open(channel.seal(request));
    expect(opened.frame.payload).toEqual(request.payload);
    expect(opened.channel).toBe(channel.ephemeralPublicKey);
    const reply: Frame = {
      ...request,
      kind: "result",
      payload: { type: "sample", tokenId: 42, logprob: -0.5 },
    };
    expect(channel.openReply(opened.sealReply(reply)).payload).toEqual(reply.payload);
  });

  test("each frame gets a fresh nonce", () => {
    const channel = createWireChannel({ recipientPublicKey: runnerPublicKey });
    const frame = decodeFrameAt(0);
    expect(bytesToHex(channel.seal(frame))).not.toBe(bytesToHex(channel.seal(frame)));
  });

  test("accepts an uncompressed recipient key", () => {
    const uncompressed = bytesToHex(secp256k1.getPublicKey(runnerKey, false));
    const channel = createWireChannel({ recipientPublicKey: uncompressed });
    expect(new WireReceiver({ privateKey: runnerKey }).open(channel.seal(decodeFrameAt(0))).frame.step).toBe(
      0,
    );
  });

  test.each([
    ["the ephemeral key (AAD)", 10],
    ["the ephemeral key's prefix byte (AAD)", 6],
    ["the nonce", 45],
    ["the ciphertext", 80],
    ["the tag", -1],
  ])("a flipped bit in %s is refused", (_label, offset) => {
    const sealed = createWireChannel({ recipientPublicKey: runnerPublicKey }).seal(decodeFrameAt(0));
    const index = offset < 0 ? sealed.length + offset : offset;
    sealed[index] = (sealed[index] ?? 0) ^ 0x04;
    expect(() => new WireReceiver({ privateKey: runnerKey }).open(sealed)).toThrow(FrameDecryptError);
  });

  test("every single-bit flip of the ephemeral key is refused as a decrypt error", () => {
    const receiver = new WireReceiver({ privateKey: runnerKey });
    const sealed = createWireChannel({ recipientPublicKey: runnerPublicKey }).seal(decodeFrameAt(0));
    for (let bit = 0; bit < 33 * 8; bit++) {
      const tampered = sealed.slice();
      const index = 6 + (bit >> 3);
      tampered[index] = (tampered[index] ?? 0) ^ (1 << (bit & 7));
      expect(() => receiver.open(tampered)).toThrow(FrameDecryptError);
    }
  });

  test("a frame sealed to another runner is refused", () => {
    const otherKey = secp256k1.utils.randomPrivateKey();
    const sealed = createWireChannel({ recipientPublicKey: runnerPublicKey }).seal(decodeFrameAt(0));
    expect(() => new WireReceiver({ privateKey: otherKey }).open(sealed)).toThrow(FrameDecryptError);
  });

  test("a reply cannot be opened as a request, nor by another channel", () => {
    const channel = createWireChannel({ recipientPublicKey: runnerPublicKey });
    const receiver = new WireReceiver({ privateKey: runnerKey });
    const reply = receiver.open(channel.seal(decodeFrameAt(0))).sealReply(decodeFrameAt(0));
    expect(() => receiver.open(reply)).toThrow(FrameFormatError);
    const stranger = createWireChannel({ recipientPublicKey: runnerPublicKey });
    expect(() => stranger.openReply(reply)).toThrow(FrameDecryptError);
  });

  test("a replayed frame is refused", () => {
    const channel = createWireChannel({ recipientPublicKey: runnerPublicKey });
    const receiver = new WireReceiver({ privateKey: runnerKey });
    const sealed = channel.seal(decodeFrameAt(3));
    receiver.open(sealed);
    expect(() => receiver.open(sealed)).toThrow(FrameReplayError);
    // Re-sealing the same step under a fresh nonce is a replay too.
    expect(() => receiver.open(channel.seal(decodeFrameAt(3)))).toThrow(FrameReplayError);
    receiver.open(channel.seal(decodeFrameAt(4)));
  });

  test("a replayed reply is refused", () => {
    const channel = createWireChannel({ recipientPublicKey: runnerPublicKey });
    const opened = new WireReceiver({ privateKey: runnerKey }).open(channel.seal(decodeFrameAt(0)));
    const reply = opened.sealReply(decodeFrameAt(0));
    channel.openReply(reply);
    expect(() => channel.openReply(reply)).toThrow(FrameReplayError);
  });

  test("garbage and truncated envelopes get named errors", () => {
    const receiver = new WireReceiver({ privateKey: runnerKey });
    expect(() => receiver.open(new Uint8Array(10))).toThrow(FrameTruncatedError);
    expect(() => receiver.open(new Uint8Array(100))).toThrow(FrameFormatError);
  });

  test("invalid keys are named errors", () => {
    expect(() => createWireChannel({ recipientPublicKey: "0x1234" })).toThrow(WireKeyError);
    expect(() => new WireReceiver({ privateKey: new Uint8Array(32) })).toThrow(WireKeyError);
  });

  test("encoding + sealing a 2048-value fp16 frame takes well under 1 ms", () => {
    const channel = createWireChannel({ recipientPublicKey: runnerPublicKey });
    const frame = decodeFrameAt(0, 2048);
    for (let i = 0; i < 200; i++) channel.seal(frame);
    const runs = 2000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) channel.seal(frame);
    const perFrame = (performance.now() - start) / runs;
    expect(perFrame).toBeLessThan(0.8);
  });

  test("fp32 -> fp16 conversion + encode + seal of 2048 floats also stays under 1 ms", () => {
    const channel = createWireChannel({ recipientPublicKey: runnerPublicKey });
    const activations = Float32Array.from({ length: 2048 }, (_, i) => Math.cos(i));
    const out = new Uint16Array(2048);
    const runs = 1000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) {
      const frame = decodeFrameAt(i);
      channel.seal({
        ...frame,
        payload: {
          type: "hidden",
          dtype: "fp16",
          shape: [1, 2048],
          data: float32ToFloat16Array(activations, out),
        },
      });
    }
    expect((performance.now() - start) / runs).toBeLessThan(1);
  });
});
