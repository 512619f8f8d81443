import {
  type ApiKey,
  costOfCounts,
  type ModelPrices,
  type PaymentChainReader,
  PaymentError,
  parseApiKey,
} from "@teetee/sdk/payments";
import { getAddress, type Hex } from "viem";
import { AuthenticationError, InsufficientFundsError } from "./errors.js";

/** Who a request is from and how it pays. */
export type Caller = {
  apiKey: ApiKey;
  /** An active contributor of the model, served free of charge. */
  free: boolean;
  /** What the key may still spend (undefined: the buyer's own key, bounded by its allocations only). */
  funds: { remaining: bigint | undefined };
};

export type AuthenticateParameters = {
  authorization: string | undefined;
  modelId: Hex;
};

/**
 * Reads the bearer API key and checks it against the chain before anything costly is done for a request (before
 * its prompt is even tokenised): the session signer must be authorised by the buyer, unexpired and unrevoked (401
 * otherwise). The key's remaining spend limit comes back with it, for `assertFundsCover` once the request's size
 * is known. Funds are not checked here: what pays is the buyer's allocation to the route chosen later, which that
 * route's runners check on every voucher and refuse with 402 when it falls short.
 */
export class Authenticator {
  readonly #reader: PaymentChainReader;
  readonly #now: () => number;

  constructor(reader: PaymentChainReader, now: () => number = Date.now) {
    this.#reader = reader;
    this.#now = now;
  }

  async authenticate(parameters: AuthenticateParameters): Promise<Caller> {
    const apiKey = this.#parse(parameters.authorization);
    const buyer = getAddress(apiKey.buyer);
    const signer = getAddress(apiKey.signer.address);
    const own = signer === buyer;
    // Every read at once: they are independent, and this is on each request's path.
    const [record, revoked, free] = await Promise.all([
      own ? undefined : this.#reader.sessionSigner(buyer, signer),
      own ? false : this.#reader.isSignerRevoked(buyer, signer),
      this.#reader.isActiveContributor(parameters.modelId, buyer),
    ]);
    let remaining: bigint | undefined;
    if (record !== undefined) {
      if (record.validUntil === 0n)
        throw new AuthenticationError("This API key is not authorised on-chain by its buyer.");
      if (revoked) throw new AuthenticationError("This API key was revoked.");
      if (record.validUntil * 1000n <= BigInt(this.#now()))
        throw new AuthenticationError("This API key has expired.");
      remaining = record.spendLimit > record.spent ? record.spendLimit - record.spent : 0n;
    }
    return { apiKey, free, funds: { remaining } };
  }

  #parse(authorization: string | undefined): ApiKey {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "");
    if (match?.[1] === undefined) {
      throw new AuthenticationError(
        "No API key: send it as 'Authorization: Bearer tt_<buyer>_<session key>'.",
        {
          code: "missing_api_key",
        },
      );
    }
    try {
      return parseApiKey(match[1]);
    } catch (error) {
      if (error instanceof PaymentError)
        throw new AuthenticationError(error.shortMessage, { hint: error.hint });
      throw error;
    }
  }
}

/**
 * Unless the caller uses the model free, the key's remaining spend limit must cover the request's maximum cost.
 * @throws InsufficientFundsError (402)
 */
export function assertFundsCover(
  caller: Caller,
  request: { prices: ModelPrices; maxInputTokens: number; maxOutputTokens: number },
): void {
  const { remaining } = caller.funds;
  if (caller.free || remaining === undefined) return;
  const maxCost = costOfCounts(
    { inputTokens: BigInt(request.maxInputTokens), outputTokens: BigInt(request.maxOutputTokens) },
    request.prices,
  );
  if (remaining < maxCost) {
    throw new InsufficientFundsError(
      `This API key's remaining spend limit (${remaining}) is below the request's maximum cost (${maxCost}).`,
      { hint: "Raise the key's limit, or lower max_tokens." },
    );
  }
}
