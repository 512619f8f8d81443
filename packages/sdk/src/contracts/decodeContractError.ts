import { BaseError, decodeErrorResult, type Hex, isHex } from "viem";
import { teeTeeErrorAbi } from "./errorAbi.js";
import { type TeeTeeErrorName, teeTeeErrorMessages } from "./errorMessages.js";
import { ContractRevertError, type DecodedContractError } from "./errors.js";

export type { DecodedContractError };
export type DecodeContractErrorReturnType = DecodedContractError;

const hexData = (value: unknown): Hex | undefined =>
  typeof value === "string" && isHex(value) && value.length >= 10 ? value : undefined;

/** Revert data anywhere along the `cause` chain (duck-typed: errors may come from another viem copy). */
function findRevertData(error: unknown): Hex | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 16 && typeof current === "object" && current !== null; depth++) {
    const record = current as { raw?: unknown; data?: unknown; cause?: unknown };
    const nested =
      typeof record.data === "object" && record.data !== null ? (record.data as { data?: unknown }) : {};
    const found = hexData(record.raw) ?? hexData(record.data) ?? hexData(nested.data);
    if (found !== undefined) return found;
    current = record.cause;
  }
  return undefined;
}

function describe(name: string, args: readonly unknown[]): string {
  if (name === "Error") return `Reverted: ${String(args[0])}`;
  if (name === "Panic") return `Panicked with code ${String(args[0])} (arithmetic or assertion failure).`;
  const message = (teeTeeErrorMessages as unknown as Record<string, (args: readonly unknown[]) => string>)[
    name
  ];
  return message ? message(args) : `Reverted with ${name}.`;
}

/**
 * Turns a failed contract call (a viem error, or raw revert data) into the custom error's name, arguments and a
 * human sentence, whichever TeeTee contract reverted (errors bubbling from a nested call decode too).
 * @example
 * try { await redeemVoucher(client, params) } catch (err) { console.error(decodeContractError(err).message) }
 */
export function decodeContractError(error: unknown): DecodeContractErrorReturnType {
  if (error instanceof ContractRevertError) return error.revert;
  const data = typeof error === "string" && isHex(error) ? error : findRevertData(error);
  if (data !== undefined) {
    try {
      const decoded = decodeErrorResult({ abi: teeTeeErrorAbi, data });
      const args = decoded.args ?? [];
      return { name: decoded.errorName, args, message: describe(decoded.errorName, args), data };
    } catch {
      return {
        name: "Unknown",
        args: [],
        message: `Reverted with unknown error data ${data.slice(0, 10)}.`,
        data,
      };
    }
  }
  const message =
    error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  return { name: "Unknown", args: [], message };
}

/** Whether a decoded error is a given TeeTee custom error. */
export function isTeeTeeError(decoded: DecodedContractError, name: TeeTeeErrorName): boolean {
  return decoded.name === name;
}
