import { secp256k1 } from "@noble/curves/secp256k1";
import { bytesToHex, type Hex } from "viem";
import { decodeFrame } from "./decodeFrame.js";
import { encodeFrame } from "./encodeFrame.js";
import { openEnvelope, sealEnvelope } from "./envelope.js";
import type { DecodedFrame, Frame, FrameLimits } from "./frame.js";
import { ReplayGuard } from "./ReplayGuard.js";
import { compressedPublicKey, deriveWireKeys, privateKeyBytes, type WireKeys } from "./wireKeys.js";

export type CreateWireChannelParameters = {
  /** The receiving runner's attested secp256k1 public key. */
  recipientPublicKey: Hex | Uint8Array;
  /** Only for tests and reproducible vectors; by default a fresh ephemeral key is made. */
  ephemeralPrivateKey?: Hex | Uint8Array;
  limits?: Partial<FrameLimits>;
};

/**
 * The sending side of an encrypted link to one runner. The ephemeral key (and so the ECDH,
 * ~2 ms in pure JS) is made once per channel; each frame then costs only AES-GCM under a
 * fresh random nonce. Use one channel per session and runner, so a key never outlives the
 * session it protects.
 *
 * @example
 * const channel = createWireChannel({ recipientPublicKey: runner.publicKey });
 * const reply = channel.openReply(await post(runner.endpoint, channel.seal(frame)));
 */
export class WireChannel {
  readonly recipientPublicKey: Hex;
  readonly ephemeralPublicKey: Hex;
  readonly #ephemeralPublicKey: Uint8Array;
  readonly #keys: WireKeys;
  readonly #limits: Partial<FrameLimits>;
  readonly #replyGuard = new ReplayGuard({ maxSessions: 64 });

  constructor(params: CreateWireChannelParameters) {
    const recipient = compressedPublicKey(params.recipientPublicKey);
    const ephemeral =
      params.ephemeralPrivateKey === undefined
        ? secp256k1.utils.randomPrivateKey()
        : privateKeyBytes(params.ephemeralPrivateKey);
    this.#ephemeralPublicKey = secp256k1.getPublicKey(ephemeral, true);
    this.#keys = deriveWireKeys({
      privateKey: ephemeral,
      peerPublicKey: recipient,
      recipientPublicKey: recipient,
      ephemeralPublicKey: this.#ephemeralPublicKey,
    });
    this.recipientPublicKey = bytesToHex(recipient);
    this.ephemeralPublicKey = bytesToHex(this.#ephemeralPublicKey);
    this.#limits = params.limits ?? {};
  }

  /** Encodes and encrypts a frame for the recipient. */
  seal(frame: Frame): Uint8Array {
    return sealEnvelope("request", this.#keys.requestKey, encodeFrame(frame), this.#ephemeralPublicKey);
  }

  /** Decrypts and decodes the recipient's reply; a replayed reply (same session and step) is refused. */
  openReply(envelope: Uint8Array, now: number = Date.now()): DecodedFrame {
    const frame = decodeFrame(openEnvelope("reply", this.#keys.responseKey, envelope), this.#limits);
    this.#replyGuard.admit(frame.sessionId, frame.step, frame.sentAt, now);
    return frame;
  }
}

/** Opens an encrypted channel to a runner's attested public key. */
export function createWireChannel(params: CreateWireChannelParameters): WireChannel {
  return new WireChannel(params);
}
