import { QuoteFormatError } from "./errors.js";

/** The fields of an Intel TDREPORT 1.0 body (584 bytes), as they sit in a TDX quote. */
export type TdReport = {
  teeTcbSvn: Uint8Array;
  mrSeam: Uint8Array;
  mrSignerSeam: Uint8Array;
  seamAttributes: Uint8Array;
  tdAttributes: Uint8Array;
  xfam: Uint8Array;
  mrTd: Uint8Array;
  mrConfigId: Uint8Array;
  mrOwner: Uint8Array;
  mrOwnerConfig: Uint8Array;
  rtmr0: Uint8Array;
  rtmr1: Uint8Array;
  rtmr2: Uint8Array;
  rtmr3: Uint8Array;
  reportData: Uint8Array;
};

/** Field order and sizes from Intel's TDX DCAP quote layout (TD Quote Body, v4). */
const layout: ReadonlyArray<readonly [keyof TdReport, number]> = [
  ["teeTcbSvn", 16],
  ["mrSeam", 48],
  ["mrSignerSeam", 48],
  ["seamAttributes", 8],
  ["tdAttributes", 8],
  ["xfam", 8],
  ["mrTd", 48],
  ["mrConfigId", 48],
  ["mrOwner", 48],
  ["mrOwnerConfig", 48],
  ["rtmr0", 48],
  ["rtmr1", 48],
  ["rtmr2", 48],
  ["rtmr3", 48],
  ["reportData", 64],
];

export const TD_REPORT_LENGTH = 584;

/** Reads a TDREPORT 1.0 body starting at `offset`; copies so callers may keep the fields. */
export function decodeTdReport(bytes: Uint8Array, offset = 0): TdReport {
  if (bytes.length < offset + TD_REPORT_LENGTH) {
    throw new QuoteFormatError("Quote is too short for a TD report", {
      details: `need ${offset + TD_REPORT_LENGTH} bytes, have ${bytes.length}`,
    });
  }
  const report: Partial<TdReport> = {};
  let cursor = offset;
  for (const [field, size] of layout) {
    report[field] = bytes.slice(cursor, cursor + size);
    cursor += size;
  }
  return report as TdReport;
}

/** Writes a TDREPORT 1.0 body; every field must have its exact size. */
export function encodeTdReport(report: TdReport): Uint8Array {
  const out = new Uint8Array(TD_REPORT_LENGTH);
  let cursor = 0;
  for (const [field, size] of layout) {
    const value = report[field];
    if (value.length !== size) {
      throw new QuoteFormatError(`TD report field ${field} must be ${size} bytes`, {
        details: `got ${value.length}`,
      });
    }
    out.set(value, cursor);
    cursor += size;
  }
  return out;
}

/** True when TUD.DEBUG (bit 0 of the first TD attributes byte) is set. */
export function isDebugTd(tdAttributes: Uint8Array): boolean {
  return ((tdAttributes[0] ?? 0) & 0x01) !== 0;
}
