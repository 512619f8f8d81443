import { TeeTeeError, type TeeTeeErrorOptions } from "@teetee/errors";
import type { Hex } from "viem";

/** A revert turned into words. */
export interface DecodedContractError {
  /** The custom error's name (`EscrowInsufficientBalance`), `Error`/`Panic` for Solidity's built-ins, or `Unknown`. */
  name: string;
  /** The error's arguments, in declaration order. */
  args: readonly unknown[];
  /** One human sentence. */
  message: string;
  /** The raw revert data, when there was any. */
  data?: Hex;
}

/** Fields every TeeTee contract-SDK error carries: the underlying (usually viem) error, details and a hint. */
export type TeeTeeContractErrorOptions = Pick<TeeTeeErrorOptions, "cause" | "details" | "hint">;

/** Base of every error the contract half of `@teetee/sdk` throws. */
export class TeeTeeContractError extends TeeTeeError {
  override name: string = "TeeTeeContractError";
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
