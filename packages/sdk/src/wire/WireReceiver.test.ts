import { secp256k1 } from "@noble/curves/secp256k1";
import { bytesToHex } from "viem";
import type { Frame } from "./frame.js";
import { createWireChannel } from "./WireChannel.js";
import { WireReceiver } from "./WireReceiver.js";

const runnerKey = secp256k1.utils.randomPrivateKey();
const runnerPublicKey = bytesToHex(secp256k1.getPublicKey(runnerKey, true));
const start = 1_750_000_000_000;

function frameAt(session: number, step: number, sentAt: number): Frame {
  const sessionId = new Uint8Array(16);
  new DataView(sessionId.buffer).setUint32(0, session);
  return {
    kind: "decode",
    sessionId,
    step,
    sentAt,
    positionStart: step,
    positionCount: 1,
    voucher: new Uint8Array(0),
    payload: { type: "tokens", tokenIds: Uint32Array.of(step) },
  };
}

describe("WireReceiver channels", () => {
  test("a channel idle longer than maxChannelIdleMs is forgotten; one in use is kept", () => {
    const receiver = new WireReceiver({ privateKey: runnerKey, maxChannelIdleMs: 1000 });
    const idle = createWireChannel({ recipientPublicKey: runnerPublicKey });
    const busy = createWireChannel({ recipientPublicKey: runnerPublicKey });
    receiver.open(idle.seal(frameAt(1, 0, start)), start);
    for (let step = 0; step < 4; step++) {
      const at = start + 400 * (step + 1);
      receiver.open(busy.seal(frameAt(2, step, at)), at);
    }
    // At 1.6 s the first channel has been idle 1.6 s, the second 0 s.
    expect(receiver.channels).toBe(1);
    // A forgotten channel still opens: its keys are derived again from the envelope.
    const later = start + 1700;
    expect(receiver.open(idle.seal(frameAt(1, 1, later)), later).frame.step).toBe(1);
    expect(receiver.channels).toBe(2);
  });

  test("by default a channel is kept for 120 s of idleness", () => {
    const receiver = new WireReceiver({ privateKey: runnerKey });
    const first = createWireChannel({ recipientPublicKey: runnerPublicKey });
    receiver.open(first.seal(frameAt(1, 0, start)), start);
    const second = createWireChannel({ recipientPublicKey: runnerPublicKey });
    receiver.open(second.seal(frameAt(2, 0, start + 120_000)), start + 120_000);
    expect(receiver.channels).toBe(2);
    const third = createWireChannel({ recipientPublicKey: runnerPublicKey });
    receiver.open(third.seal(frameAt(3, 0, start + 120_001)), start + 120_001);
    expect(receiver.channels).toBe(2);
  });

  test("many short channels stay bounded by the idle time, below maxChannels", () => {
    const receiver = new WireReceiver({ privateKey: runnerKey, maxChannelIdleMs: 1000 });
    for (let i = 0; i < 200; i++) {
      const at = start + i * 100;
      receiver.open(createWireChannel({ recipientPublicKey: runnerPublicKey }).seal(frameAt(i, 0, at)), at);
    }
    expect(receiver.channels).toBeLessThanOrEqual(11);
  });
});
