import { type Address, formatUnits, parseUnits } from "viem";

/** The payment token as the app shows it. */
export type TokenInfo = { symbol: string; decimals: number };

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `1234500000n` → `1,234.50`: thousands grouped, at least two and at most `maxFraction` decimals. */
export function formatAmount(value: bigint, decimals: number, maxFraction = 6): string {
  const negative = value < 0n;
  const [whole = "0", fraction = ""] = formatUnits(negative ? -value : value, decimals).split(".");
  let shown = fraction.slice(0, maxFraction).replace(/0+$/, "");
  if (shown.length < 2) shown = shown.padEnd(2, "0");
  return `${negative ? "−" : ""}${group(whole)}.${shown}`;
}

export function formatToken(value: bigint, token: TokenInfo, maxFraction = 6): string {
  return `${formatAmount(value, token.decimals, maxFraction)} ${token.symbol}`;
}

/** Parses what a person typed as a token amount; undefined when it is not a positive number. */
export function parseTokenInput(text: string, decimals: number): bigint | undefined {
  const clean = text.trim().replace(/,/g, "");
  if (!/^\d+(\.\d+)?$/.test(clean)) return undefined;
  const [, fraction = ""] = clean.split(".");
  if (fraction.length > decimals) return undefined;
  const value = parseUnits(clean, decimals);
  return value > 0n ? value : undefined;
}

export function shortHex(value: string, head = 6, tail = 4): string {
  return value.length <= head + tail + 1 ? value : `${value.slice(0, head)}…${value.slice(-tail)}`;
}

export function shortAddress(address: Address): string {
  return shortHex(address, 6, 4);
}

/** `3725` → `1h 2m 5s`; the two largest units. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, unit] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || (unit === "s" && parts.length === 0)) parts.push(`${count}${unit}`);
  }
  return parts.slice(0, 2).join(" ");
}

export function formatDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** Per-million-token prices as a person reads them. */
export function formatPrice(perMTok: bigint, token: TokenInfo): string {
  return `${formatToken(perMTok, token, 4)} / 1M tokens`;
}

export function formatBps(bps: number): string {
  return `${(bps / 100).toFixed(bps % 100 === 0 ? 0 : 2)}%`;
}
