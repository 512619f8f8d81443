import { walk } from "@teetee/errors";
import { NonceTooLowError } from "viem";

/** How nodes word the refusal when viem does not recognise it as a `NonceTooLowError`. */
const nonceTooLow = /nonce (provided for the transaction )?(is )?(too )?low/i;

/** A transaction refused because another one from the same account took its nonce first. */
export function isNonceRace(error: unknown): boolean {
  const race = walk(
    error,
    (link) => link instanceof NonceTooLowError || (link instanceof Error && nonceTooLow.test(link.message)),
  );
  return race !== undefined;
}
