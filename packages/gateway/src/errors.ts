import { TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";
import { listenFailure } from "@teetee/sdk/lifecycle";
import type { SignedReceipt } from "@teetee/sdk/receipts";
import type { Hex } from "viem";

/**
 * The gateway cannot start: invalid configuration, an unreachable chain, no deployment. Not a `GatewayError`: it
 * never becomes an HTTP answer; `main` prints it (with its hint) and exits 1.
 */
export class GatewayStartupError extends TeeTeeError {
  override name: string = "GatewayStartupError";
}

/** The gateway cannot listen where it was told to: the port is taken, or the address is not this machine's. */
export class GatewayListenError extends GatewayStartupError {
  override name = "GatewayListenError" as const;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, options: TeeTeeErrorOptions = {}) {
    const { message, hint } = listenFailure(host, port, options.cause);
    super(message, { hint, ...options });
    this.host = host;
    this.port = port;
  }
}

/** OpenAI's error `type`s the gateway answers with. */
export type OpenAIErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "insufficient_quota"
  | "not_found_error"
  | "rate_limit_error"
  | "server_error";

export type GatewayErrorOptions = TeeTeeErrorOptions & {
  /** The request parameter at fault, as OpenAI names it. */
  param?: string;
  /** A stable machine-readable code. */
  code?: string;
};

/**
 * Base of every error the gateway answers with: an HTTP status and OpenAI's `type`, `param` and `code`, turned
 * into OpenAI's error JSON by the one error handler (`toOpenAIError`).
 */
export class GatewayError extends TeeTeeError {
  override name: string = "GatewayError";
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | undefined;
  readonly code: string | undefined;

  constructor(
    status: number,
    type: OpenAIErrorType,
    shortMessage: string,
    options: GatewayErrorOptions = {},
  ) {
    super(shortMessage, options);
    this.status = status;
    this.type = type;
    this.param = options.param;
    this.code = options.code;
  }
}

/** 400: a parameter is missing, malformed or unsupported. */
export class InvalidRequestError extends GatewayError {
  override name = "InvalidRequestError" as const;
  constructor(shortMessage: string, options: GatewayErrorOptions = {}) {
    super(400, "invalid_request_error", shortMessage, options);
  }
}

/** 401: no API key, a malformed one, or one the chain does not authorise. */
export class AuthenticationError extends GatewayError {
  override name = "AuthenticationError" as const;
  constructor(shortMessage: string, options: GatewayErrorOptions = {}) {
    super(401, "authentication_error", shortMessage, { code: "invalid_api_key", ...options });
  }
}

/** 402: the buyer's deposit or the key's spend limit does not cover the request. */
export class InsufficientFundsError extends GatewayError {
  override name = "InsufficientFundsError" as const;
  constructor(shortMessage: string, options: GatewayErrorOptions = {}) {
    super(402, "insufficient_quota", shortMessage, { code: "insufficient_funds", ...options });
  }
}

/** 404: no such model (or no such route). */
export class ModelNotFoundError extends GatewayError {
  override name = "ModelNotFoundError" as const;
  constructor(model: string) {
    super(404, "not_found_error", `The model '${model}' does not exist.`, {
      param: "model",
      code: "model_not_found",
      hint: "GET /v1/models lists the models served now.",
    });
  }
}

/** 404: a file the model's manifest does not list among its tokenizer files (weights are the runners' own). */
export class ModelFileNotFoundError extends GatewayError {
  override name = "ModelFileNotFoundError" as const;
  constructor(file: string) {
    super(404, "not_found_error", `The model has no tokenizer file '${file}'.`, {
      param: "file",
      code: "file_not_found",
      hint: "GET /v1/models/{model}/manifest lists the tokenizer files under tokenizer.files.",
    });
  }
}

/**
 * 404: no receipts kept under this response id for this buyer (never issued, another buyer's, or evicted), or the
 * route could not sign them (`receipts_unavailable`, with the reason).
 */
export class ReceiptsNotFoundError extends GatewayError {
  override name = "ReceiptsNotFoundError" as const;
  constructor(id: string, reason?: string) {
    super(
      404,
      "not_found_error",
      reason === undefined
        ? `No receipts for response '${id}'.`
        : `The route could not sign receipts for response '${id}': ${reason}`,
      {
        param: "id",
        code: reason === undefined ? "receipts_not_found" : "receipts_unavailable",
        hint: "Receipts are kept for a while after the answer, for the buyer who asked only.",
      },
    );
  }
}

/** 503 (or 429): no complete attested route, or every runner is busy. */
export class NoCapacityError extends GatewayError {
  override name = "NoCapacityError" as const;
  /** A request that failed on every route: what its final route's runners signed before it failed, if anything. */
  readonly receipts: PartialRouteReceipts | undefined;

  constructor(
    shortMessage: string,
    options: GatewayErrorOptions & { status?: 429 | 503; receipts?: PartialRouteReceipts } = {},
  ) {
    super(options.status ?? 503, options.status === 429 ? "rate_limit_error" : "server_error", shortMessage, {
      code: "no_capacity",
      hint: "Retry shortly.",
      ...options,
    });
    this.receipts = options.receipts;
  }
}

/**
 * The receipts a failed route's runners still signed, in shard order from shard 0 (see the SDK's
 * `PartialReceiptsError`): `sessionId` is its frames' session, `replayedTokens` the completion tokens it was fed.
 */
export type PartialRouteReceipts = { sessionId: Hex; replayedTokens: number; receipts: SignedReceipt[] };

/** 429: this buyer has too many requests at once; `retryAfterSeconds` says when to try again. */
export class TooManyRequestsError extends GatewayError {
  override name = "TooManyRequestsError" as const;
  constructor(shortMessage: string, options: GatewayErrorOptions = {}) {
    super(429, "rate_limit_error", shortMessage, { code: "rate_limited", ...options });
  }
}

/** 402: no route that can serve the model now is one the buyer allocated enough to. */
export class RouteUnfundedError extends GatewayError {
  override name = "RouteUnfundedError" as const;
  constructor(shortMessage: string, options: GatewayErrorOptions = {}) {
    super(402, "insufficient_quota", shortMessage, { code: "route_unfunded", ...options });
  }
}
