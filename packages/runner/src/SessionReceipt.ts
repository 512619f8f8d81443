import { createHash } from "node:crypto";
import {
  hashReceipt,
  type ReceiptDomainParameters,
  type ReceiptFrame,
  ReceiptHasher,
  type ReceiptSampling,
  receiptParamsHash,
  type SignedReceipt,
  signReceipt,
  ZERO_HASH,
} from "@teetee/sdk/receipts";
import type { Hex, LocalAccount } from "viem";

/** What a runner signs its receipts with: its attested runner key, under the deployment's receipt domain. */
export type ReceiptSigner = ReceiptDomainParameters & {
  account: LocalAccount;
  /** Unix seconds for `issuedAt`; default the wall clock (the runner passes {@link chainClock}). */
  now?: () => Promise<bigint>;
};

/** Node's native SHA-256: several times faster than the pure-JS one on activation rows. */
const nodeSha256 = () => createHash("sha256");

/**
 * What a runner records of one session for its receipt: digests of the positions it read and wrote, the frames it
 * computed them in, and what else decided its outputs. It is fed after each frame's forward pass succeeds (a
 * failed pass records nothing) and signed once: the first receipt frame fixes the receipt, later ones get the same
 * one, and the session takes no more frames after it.
 */
export class SessionReceipt {
  readonly #input = new ReceiptHasher(nodeSha256);
  readonly #output = new ReceiptHasher(nodeSha256);
  readonly #frames: ReceiptFrame[] = [];
  readonly #sampling: ReceiptSampling;
  readonly #logprobs: boolean;
  /** The dtype activations leave this runner in; undefined on the last shard (it sends tokens). */
  readonly activationDtype: "fp16" | "fp32" | undefined;
  #positions = 0;
  #signed: Promise<SignedReceipt> | undefined;

  constructor(params: {
    sampling: ReceiptSampling;
    logprobs: boolean;
    activationDtype: "fp16" | "fp32" | undefined;
  }) {
    this.#sampling = params.sampling;
    this.#logprobs = params.logprobs;
    this.activationDtype = params.activationDtype;
  }

  /** True once a receipt frame asked for the receipt: the session is closed to computation. */
  get signed(): boolean {
    return this.#signed !== undefined;
  }

  /** Shard 0's input: the token ids of one frame. */
  inputTokens(positionStart: number, tokenIds: Uint32Array): void {
    this.#input.tokens(positionStart, tokenIds);
  }

  /** A later shard's input: the activation rows exactly as they arrived (fp16 bits or fp32). */
  inputRows(positionStart: number, data: Float32Array | Uint16Array, width: number): void {
    this.#input.rows(positionStart, data, width);
  }

  /** Every shard but the last: the activation rows exactly as sent on. */
  outputRows(positionStart: number, data: Float32Array | Uint16Array, width: number): void {
    this.#output.rows(positionStart, data, width);
  }

  /** The last shard: the token it sampled, at the position it predicts. */
  outputToken(position: number, tokenId: number): void {
    this.#output.tokens(position, [tokenId]);
  }

  /** One frame computed here, in order. */
  frame(frame: ReceiptFrame): void {
    this.#frames.push(frame);
    this.#positions += frame.positionCount;
  }

  /**
   * Signs the receipt of everything computed so far (once: later calls give the same receipt, whatever `previous`
   * they pass). `previous` is the previous runner's receipt, absent on shard 0; it is linked by its digest, not
   * judged: a verifier checks the chain.
   */
  sign(
    signer: ReceiptSigner,
    fields: { modelId: Hex; shardIndex: number; sessionId: Hex; previous: SignedReceipt | undefined },
  ): Promise<SignedReceipt> {
    this.#signed ??= this.#sign(signer, fields);
    return this.#signed;
  }

  async #sign(
    { account, now, ...domain }: ReceiptSigner,
    fields: { modelId: Hex; shardIndex: number; sessionId: Hex; previous: SignedReceipt | undefined },
  ): Promise<SignedReceipt> {
    const receipt = {
      modelId: fields.modelId,
      shardIndex: fields.shardIndex,
      sessionId: fields.sessionId,
      positionStart: 0,
      positionCount: this.#positions,
      paramsHash: receiptParamsHash({
        sampling: this.#sampling,
        logprobs: this.#logprobs,
        activationDtype: this.activationDtype,
        frames: this.#frames,
      }),
      inputHash: this.#input.digest(),
      outputHash: this.#output.digest(),
      previousReceipt:
        fields.previous === undefined
          ? ZERO_HASH
          : hashReceipt({ receipt: fields.previous.receipt, ...domain }),
      issuedAt: now === undefined ? BigInt(Math.floor(Date.now() / 1000)) : await now(),
    };
    return signReceipt(account, { receipt, ...domain });
  }
}
