import { type ApiKey, type ModelPrices, PaymentSession } from "@teetee/sdk/payments";
import type { Address, Hex } from "viem";

export type PaymentSessionPoolParameters = {
  chainId: number;
  paymentEscrow: Address;
};

/**
 * Payment sessions by API key, model and route. A session carries one request at a time (its voucher is
 * cumulative), so concurrent requests of one key on one route lease separate sessions; sessions whose request was
 * settled are handed back and reused, so that one voucher, redeemed once, covers many requests. A session whose
 * request was abandoned is not handed back (see `Generator`).
 */
export class PaymentSessionPool {
  readonly #p: PaymentSessionPoolParameters;
  readonly #idle = new Map<string, PaymentSession[]>();

  constructor(parameters: PaymentSessionPoolParameters) {
    this.#p = parameters;
  }

  /** A session for this key, model and route not in use by another request. */
  lease(apiKey: ApiKey, modelId: Hex, route: readonly Address[], prices: ModelPrices): PaymentSession {
    const key = poolKey(apiKey, modelId, route);
    const idle = this.#idle.get(key);
    const reusable = idle?.findIndex((s) => samePrices(s.prices, prices)) ?? -1;
    if (idle !== undefined && reusable >= 0) return idle.splice(reusable, 1)[0]!;
    return new PaymentSession({
      apiKey,
      chainId: this.#p.chainId,
      paymentEscrow: this.#p.paymentEscrow,
      modelId,
      route,
      prices,
    });
  }

  /** Hands a session back once its request has completed with a settle voucher. */
  release(apiKey: ApiKey, session: PaymentSession): void {
    const key = poolKey(apiKey, session.modelId, session.route);
    const idle = this.#idle.get(key) ?? [];
    idle.push(session);
    this.#idle.set(key, idle);
  }
}

function poolKey(apiKey: ApiKey, modelId: Hex, route: readonly Address[]): string {
  return `${apiKey.buyer}|${apiKey.signer.address}|${modelId.toLowerCase()}|${route.join(",")}`;
}

function samePrices(a: ModelPrices, b: ModelPrices): boolean {
  return a.inputPricePerMTok === b.inputPricePerMTok && a.outputPricePerMTok === b.outputPricePerMTok;
}
