import type { Address, Hex } from "viem";
import { paymentEscrowDomain, voucherTypes } from "../contracts/internal/eip712.js";
import type { Voucher } from "../contracts/types.js";
import { channelId } from "../contracts/voucher/channelId.js";
import type { ApiKey } from "./apiKey.js";
import type { PaymentTicket } from "./paymentTicket.js";
import { addCounts, costOfCounts, type ModelPrices, type TokenCounts, zeroCounts } from "./tokenCounts.js";

export type PaymentSessionParameters = {
  apiKey: ApiKey;
  chainId: number;
  paymentEscrow: Address;
  modelId: Hex;
  /** One runner per shard, in order: the channel's route. */
  route: readonly Address[];
  prices: ModelPrices;
  /** The voucher session id; random when omitted. */
  sessionId?: Hex;
};

/** One request's usage as the buyer is charged for it. */
export type RequestUsage = TokenCounts & {
  /** Tokens generated on an earlier route and replayed here as context (failover). */
  replayedOutputTokens?: bigint;
};

/**
 * The gateway's side of one payment channel (buyer, model, session, route): cumulative token counts, their cost
 * by `computeCost` and the cumulative voucher signed with the API key. Requests on a session run one after the
 * other; the voucher covering a request is signed as soon as it completes (`complete`), so the buyer owes at most
 * the request in flight.
 * @example
 * const session = new PaymentSession({ apiKey, chainId, paymentEscrow, modelId, route, prices });
 * const opening = await session.requestTicket({ requestId, maxOutputTokens: 256 });
 * const settle = await session.complete(requestId, { inputTokens: 12n, outputTokens: 40n });
 */
export class PaymentSession {
  readonly buyer: Address;
  readonly modelId: Hex;
  readonly sessionId: Hex;
  readonly route: readonly Address[];
  readonly channelId: Hex;
  readonly prices: ModelPrices;
  readonly #apiKey: ApiKey;
  readonly #chainId: number;
  readonly #paymentEscrow: Address;
  #counts: TokenCounts = zeroCounts;
  #signed: { amount: bigint; signature: Hex } | undefined;

  constructor(parameters: PaymentSessionParameters) {
    this.#apiKey = parameters.apiKey;
    this.#chainId = parameters.chainId;
    this.#paymentEscrow = parameters.paymentEscrow;
    this.buyer = parameters.apiKey.buyer;
    this.modelId = parameters.modelId;
    this.route = [...parameters.route];
    this.prices = parameters.prices;
    this.sessionId = parameters.sessionId ?? randomBytes32();
    this.channelId = channelId({
      buyer: this.buyer,
      modelId: this.modelId,
      sessionId: this.sessionId,
      route: this.route,
    });
  }

  /** Cumulative counts of the completed requests. */
  get counts(): TokenCounts {
    return this.#counts;
  }

  /** The channel's cumulative cost: the amount of the latest voucher. */
  get amount(): bigint {
    return costOfCounts(this.#counts, this.prices);
  }

  /** The ticket opening a request: the latest voucher (covering every completed request) and the request's bounds. */
  async requestTicket(request: {
    requestId: Hex;
    maxOutputTokens: number;
    replayedOutputTokens?: number;
  }): Promise<PaymentTicket> {
    return this.#ticket(
      "request",
      request.requestId,
      request.maxOutputTokens,
      request.replayedOutputTokens ?? 0,
    );
  }

  /** Adds a completed request's usage and returns the settle ticket whose voucher covers it. */
  async complete(requestId: Hex, usage: RequestUsage): Promise<PaymentTicket> {
    this.#counts = addCounts(this.#counts, usage);
    return this.#ticket("settle", requestId, 0, Number(usage.replayedOutputTokens ?? 0n));
  }

  /** The cost `usage` adds to this channel now. */
  costOf(usage: TokenCounts): bigint {
    return costOfCounts(addCounts(this.#counts, usage), this.prices) - this.amount;
  }

  async #ticket(
    kind: PaymentTicket["kind"],
    requestId: Hex,
    maxOutputTokens: number,
    replayedOutputTokens: number,
  ): Promise<PaymentTicket> {
    const voucher = this.voucher();
    return {
      kind,
      chainId: this.#chainId,
      paymentEscrow: this.#paymentEscrow,
      voucher,
      signature: await this.#sign(voucher),
      signer: this.#apiKey.signer.address,
      requestId,
      maxOutputTokens,
      replayedOutputTokens,
    };
  }

  /** The channel's current voucher (unsigned). */
  voucher(): Voucher {
    return {
      buyer: this.buyer,
      modelId: this.modelId,
      sessionId: this.sessionId,
      route: this.route,
      amount: this.amount,
    };
  }

  async #sign(voucher: Voucher): Promise<Hex> {
    if (this.#signed?.amount === voucher.amount) return this.#signed.signature;
    const signature = await this.#apiKey.signer.signTypedData({
      domain: paymentEscrowDomain(this.#chainId, this.#paymentEscrow),
      types: voucherTypes,
      primaryType: "Voucher",
      message: voucher,
    });
    this.#signed = { amount: voucher.amount, signature };
    return signature;
  }
}

function randomBytes32(): Hex {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `0x${Buffer.from(bytes).toString("hex")}`;
}
