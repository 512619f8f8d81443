import { secp256k1 } from "@noble/curves/secp256k1";
import { bytesToHex, type Hex } from "viem";
import { decodeFrame } from "./decodeFrame.js";
import { encodeFrame } from "./encodeFrame.js";
import { envelopeEphemeralKey, openEnvelope, sealEnvelope } from "./envelope.js";
import { FrameDecryptError } from "./errors.js";
import type { DecodedFrame, Frame, FrameLimits } from "./frame.js";
import { ReplayGuard } from "./ReplayGuard.js";
import { compressedPublicKey, deriveWireKeys, privateKeyBytes, type WireKeys } from "./wireKeys.js";

export type WireReceiverOptions = {
  /** The runner's own secp256k1 private key (the one its quote attests). */
  privateKey: Hex | Uint8Array;
  replayGuard?: ReplayGuard;
  /** Channel keys kept so that only a channel's first frame pays for ECDH. */
  maxChannels?: number;
  /** A channel no frame used for this long is forgotten (default 120 s). */
  maxChannelIdleMs?: number;
  limits?: Partial<FrameLimits>;
};

/** An authenticated, decoded frame and the means to answer its sender. */
export type OpenedFrame = {
  frame: DecodedFrame;
  /** The sender's ephemeral key: identifies the channel (not the sender's identity). */
  channel: Hex;
  /** Encrypts a reply only the sender of this frame can read. */
  sealReply: (reply: Frame) => Uint8Array;
};

/**
 * The runner side: authenticates, decrypts and decodes frames sealed to its key, then admits
 * them to the replay guard. Throws only named {@link WireError}s.
 */
export class WireReceiver {
  readonly publicKey: Hex;
  readonly #privateKey: Uint8Array;
  readonly #publicKey: Uint8Array;
  readonly #guard: ReplayGuard;
  /** `await` frames repeat the step they wait for, so they are sequenced apart from the frames that compute. */
  readonly #awaitGuard: ReplayGuard;
  /** Least recently used first, so idle channels are swept from the front. */
  readonly #channels = new Map<string, { keys: WireKeys; usedAt: number }>();
  readonly #maxChannels: number;
  readonly #maxChannelIdleMs: number;
  readonly #limits: Partial<FrameLimits>;

  constructor(options: WireReceiverOptions) {
    this.#privateKey = privateKeyBytes(options.privateKey);
    this.#publicKey = secp256k1.getPublicKey(this.#privateKey, true);
    this.publicKey = bytesToHex(this.#publicKey);
    this.#guard = options.replayGuard ?? new ReplayGuard();
    this.#awaitGuard = new ReplayGuard();
    this.#maxChannels = options.maxChannels ?? 4096;
    this.#maxChannelIdleMs = options.maxChannelIdleMs ?? 120_000;
    this.#limits = options.limits ?? {};
  }

  /** Channels whose keys are remembered. */
  get channels(): number {
    return this.#channels.size;
  }

  #keysFor(channel: Hex, ephemeral: Uint8Array): WireKeys {
    const cached = this.#channels.get(channel);
    if (cached !== undefined) return cached.keys;
    let peerPublicKey: Uint8Array;
    try {
      peerPublicKey = compressedPublicKey(ephemeral);
    } catch (cause) {
      // The ephemeral key is sender-chosen cleartext: a bad point is a tampered envelope.
      throw new FrameDecryptError("Envelope's ephemeral key is not a valid secp256k1 point", { cause });
    }
    return deriveWireKeys({
      privateKey: this.#privateKey,
      peerPublicKey,
      recipientPublicKey: this.#publicKey,
      ephemeralPublicKey: ephemeral,
    });
  }

  /** Keys are remembered only once a frame authenticated, so junk cannot evict real channels. */
  #remember(channel: Hex, keys: WireKeys, now: number): void {
    this.#channels.delete(channel);
    this.#channels.set(channel, { keys, usedAt: now });
    if (this.#channels.size > this.#maxChannels) {
      const oldest = this.#channels.keys().next().value;
      if (oldest !== undefined) this.#channels.delete(oldest);
    }
  }

  /** A finished session's channel would otherwise stay until 4096 newer ones pushed it out. */
  #forgetIdle(now: number): void {
    for (const [channel, { usedAt }] of this.#channels) {
      if (usedAt >= now - this.#maxChannelIdleMs) break;
      this.#channels.delete(channel);
    }
  }

  /** Opens a request envelope; replayed, tampered or foreign frames throw named errors. */
  open(envelope: Uint8Array, now: number = Date.now()): OpenedFrame {
    this.#forgetIdle(now);
    const ephemeral = envelopeEphemeralKey(envelope);
    const channel =
      `0x${Buffer.from(ephemeral.buffer, ephemeral.byteOffset, ephemeral.byteLength).toString("hex")}` as Hex;
    const keys = this.#keysFor(channel, ephemeral);
    const plaintext = openEnvelope("request", keys.requestKey, envelope);
    this.#remember(channel, keys, now);
    const frame = decodeFrame(plaintext, this.#limits);
    (frame.kind === "await" ? this.#awaitGuard : this.#guard).admit(
      frame.sessionId,
      frame.step,
      frame.sentAt,
      now,
    );
    return {
      frame,
      channel,
      sealReply: (reply) => sealEnvelope("reply", keys.responseKey, encodeFrame(reply)),
    };
  }
}
