import { formatUnits, parseUnits } from "viem";
import { usageError } from "./errors.js";

/** Parses a token amount written in whole tokens (`12.5`) into base units. */
export function parseAmount(value: string, decimals: number, what = "amount"): bigint {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) {
    throw usageError(`The ${what} "${value}" is not a number of tokens (e.g. 100 or 0.25).`);
  }
  const [, fraction = ""] = value.trim().split(".");
  if (fraction.length > decimals) {
    throw usageError(`The ${what} "${value}" has more than ${decimals} decimals.`);
  }
  return parseUnits(value.trim(), decimals);
}

export function parsePositiveAmount(value: string, decimals: number, what = "amount"): bigint {
  const amount = parseAmount(value, decimals, what);
  if (amount === 0n) throw usageError(`The ${what} must be more than zero.`);
  return amount;
}

export function formatAmount(value: bigint, decimals: number, symbol: string): string {
  return `${formatUnits(value, decimals)} ${symbol}`;
}

const durationUnits: Record<string, bigint> = { s: 1n, m: 60n, h: 3600n, d: 86_400n, w: 604_800n };

/** Parses `90s`, `15m`, `12h`, `30d`, `2w` or plain seconds. */
export function parseDuration(value: string, what = "duration"): bigint {
  const match = /^(\d+)([smhdw]?)$/.exec(value.trim());
  if (!match) throw usageError(`The ${what} "${value}" is not a duration (e.g. 3600, 90m, 12h, 30d).`);
  const seconds = BigInt(match[1]!) * durationUnits[match[2] || "s"]!;
  if (seconds === 0n) throw usageError(`The ${what} must be more than zero.`);
  return seconds;
}

export function formatTime(unixSeconds: bigint | number): string {
  const n = Number(unixSeconds);
  return n === 0 ? "never" : new Date(n * 1000).toISOString().replace(".000Z", "Z");
}
