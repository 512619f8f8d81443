import type { Command } from "commander";
import { type Address, getAddress, type Hex, isAddress } from "viem";
import type { GlobalOptions } from "./context.js";
import { usageError } from "./errors.js";
import { type CliIo, Output } from "./io.js";

/** The global options merged with the command's own. */
export function optionsOf<T extends object>(command: Command): GlobalOptions & T {
  return command.optsWithGlobals() as GlobalOptions & T;
}

export function outputOf(io: CliIo, command: Command): Output {
  return new Output(io, optionsOf(command).json === true);
}

export function parseAddress(value: string, what = "address"): Address {
  if (!isAddress(value, { strict: false })) throw usageError(`The ${what} "${value}" is not an address.`);
  return getAddress(value);
}

export function parseBytes32(value: string, what: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw usageError(`The ${what} "${value}" is not 0x + 64 hex digits.`);
  return value.toLowerCase() as Hex;
}

export function parseInteger(value: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw usageError(`The ${what} "${value}" must be a whole number between ${min} and ${max}.`);
  }
  return n;
}
