import { readFileSync } from "node:fs";
import type { Collateral } from "@phala/dcap-qvl";

/** Absolute path of a file under `test/fixtures/`. */
export function fixturePath(relative: string): string {
  return new URL(`./fixtures/${relative}`, import.meta.url).pathname;
}

export function readFixture(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(relative)));
}

export function readCollateral(relative: string): Collateral {
  return JSON.parse(readFileSync(fixturePath(relative), "utf8")) as Collateral;
}

export type DstackGetQuoteFixture = {
  quote: string;
  event_log: string;
  report_data: string;
  vm_config: string;
};

export function readDstackResponse(
  name: "quote-report.json" | "tdx-lite-getquote.json",
): DstackGetQuoteFixture {
  return JSON.parse(readFileSync(fixturePath(`dstack/${name}`), "utf8")) as DstackGetQuoteFixture;
}

/** The time the TDX collateral is valid at (2025-06-25T00:00:00Z). */
export const PINNED_TDX_TIME = 1750809600;
