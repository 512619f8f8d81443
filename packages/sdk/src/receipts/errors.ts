import { TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";

/** A receipt, or a chain of them, cannot be read, built or verified; subclasses name what failed. */
export class ReceiptError extends TeeTeeError {
  override name: string = "ReceiptError";
}

/** A receipt document (JSON) is malformed; `details` lists every bad field. */
export class ReceiptFormatError extends ReceiptError {
  override name = "ReceiptFormatError" as const;
}

/** The bundle is for another chain or RunnerRegistry than the one it is verified against. */
export class ReceiptDomainError extends ReceiptError {
  override name = "ReceiptDomainError" as const;
}

/** The bundle names a model the chain does not know, or its receipts name another model than the bundle. */
export class ReceiptModelError extends ReceiptError {
  override name = "ReceiptModelError" as const;
}

/** The chain is not one receipt per shard of the model in shard order: one is missing, repeated or out of place. */
export class ReceiptChainError extends ReceiptError {
  override name: string = "ReceiptChainError";
}

/**
 * The chain is the route's receipts from shard 0 on, cut short: the route failed (or did not answer) before its
 * later runners signed. `missingShards` names the shards without a receipt. A gateway stores such a chain, marked
 * `incomplete`, beside the error of a request that failed for good.
 */
export class RouteReceiptsIncompleteError extends ReceiptChainError {
  override name = "RouteReceiptsIncompleteError" as const;
  readonly missingShards: number[];

  constructor(shortMessage: string, options: TeeTeeErrorOptions & { missingShards?: number[] } = {}) {
    super(shortMessage, options);
    this.missingShards = options.missingShards ?? [];
  }
}

/**
 * Two neighbouring receipts do not link: `previousReceipt` is not the previous receipt's hash, `inputHash` is not
 * its `outputHash`, or they name another session or other positions.
 */
export class ReceiptLinkError extends ReceiptError {
  override name = "ReceiptLinkError" as const;
}

/** A receipt is not signed by a runner registered for its model and shard (an unknown key, or another shard's). */
export class ReceiptSignerError extends ReceiptError {
  override name = "ReceiptSignerError" as const;
}

/**
 * A receipt's runner was not active when it signed: registered more than `RECEIPT_CLOCK_SKEW_SECONDS` after
 * `issuedAt`, or deactivated more than that before.
 */
export class ReceiptRunnerInactiveError extends ReceiptError {
  override name = "ReceiptRunnerInactiveError" as const;
}

/**
 * A receipt is dated more than `RECEIPT_CLOCK_SKEW_SECONDS` after the verifying moment (the latest block's time, or
 * the `now` given): no honest runner's clock runs that far ahead of the chain, and a runner that dates ahead could
 * deactivate before that date to leave its receipts outside every registration.
 */
export class ReceiptFromTheFutureError extends ReceiptError {
  override name = "ReceiptFromTheFutureError" as const;
}

/** The bundle's prompt or completion token ids are not what the first shard's input or last shard's output hash. */
export class ReceiptTokensError extends ReceiptError {
  override name = "ReceiptTokensError" as const;
}

/** The bundle's text is not what its completion tokens decode to by the gateway's rules. */
export class ReceiptTextError extends ReceiptError {
  override name = "ReceiptTextError" as const;
}

/** Each verification failure's error class, by name (`ReceiptCheck.errorName`). */
export const receiptErrors = {
  ReceiptDomainError,
  ReceiptModelError,
  ReceiptChainError,
  RouteReceiptsIncompleteError,
  ReceiptLinkError,
  ReceiptFromTheFutureError,
  ReceiptSignerError,
  ReceiptRunnerInactiveError,
  ReceiptTokensError,
  ReceiptTextError,
} as const;

export type ReceiptErrorName = keyof typeof receiptErrors;
