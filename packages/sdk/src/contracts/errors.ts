import type { DecodedContractError } from "./decodeContractError.js";

/** Fields every TeeTee contract-SDK error carries. */
export interface TeeTeeContractErrorOptions {
  /** The underlying error (a viem error, usually). */
  cause?: unknown;
  /** What the caller can do about it. */
  hint?: string;
  /** Extra lines for the full message. */
  details?: string;
}

/**
 * Base of every error the contract half of `@teetee/sdk` throws, shaped like viem's `BaseError`:
 * `shortMessage` says what went wrong in one line, `hint` what to do next, `cause` keeps the original error.
 */
export class TeeTeeContractError extends Error {
  override name: string = "TeeTeeContractError";
  readonly shortMessage: string;
  readonly hint: string | undefined;
  readonly details: string | undefined;

  constructor(shortMessage: string, options: TeeTeeContractErrorOptions = {}) {
    const lines = [shortMessage, options.details, options.hint && `Hint: ${options.hint}`].filter(
      (line): line is string => typeof line === "string" && line.length > 0,
    );
    super(lines.join("\n\n"), options.cause === undefined ? undefined : { cause: options.cause });
    this.shortMessage = shortMessage;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** An action needed a contract address that neither `address` nor `contracts` supplied. */
export class MissingContractAddressError extends TeeTeeContractError {
  override name = "MissingContractAddressError" as const;
  constructor(contract: string) {
    super(`No address for the ${contract} contract.`, {
      hint: `Pass \`address\`, or \`contracts\` with a \`${contract}\` entry (e.g. from getDeployment(chainId)).`,
    });
  }
}

/** A parameter failed validation before anything was sent. */
export class InvalidContractParameterError extends TeeTeeContractError {
  override name = "InvalidContractParameterError" as const;
}

/** A contract call reverted; `revert` holds the decoded custom error. */
export class ContractRevertError extends TeeTeeContractError {
  override name = "ContractRevertError" as const;
  readonly revert: DecodedContractError;
  constructor(revert: DecodedContractError, cause: unknown, hint?: string) {
    super(revert.message, { cause, details: `Contract error: ${revert.name}`, hint });
    this.revert = revert;
  }
}
