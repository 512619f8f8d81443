import { QuoteFormatError } from "./errors.js";
import { decodeTdReport, type TdReport } from "./tdReport.js";

export const TEE_TYPE_SGX = 0x00;
export const TEE_TYPE_TDX = 0x81;

const HEADER_LENGTH = 48;
const BODY_DESCRIPTOR_LENGTH = 6;

/** What the verifier needs from an Intel DCAP quote header and body. */
export type ParsedIntelQuote = {
  version: number;
  teeType: number;
  /** The TD report when the quote is a TDX quote, undefined for SGX. */
  tdReport: TdReport | undefined;
};

/**
 * Parses the header of a DCAP quote and, for TDX, its TD report. Parsing here (not in
 * dcap-qvl) lets the verifier read RTMR3 and report data from exactly the bytes it hashes.
 * Quote v5 puts a 6-byte body descriptor before the body; v4 does not.
 */
export function parseIntelQuote(quote: Uint8Array): ParsedIntelQuote {
  if (quote.length < HEADER_LENGTH) {
    throw new QuoteFormatError("Quote is shorter than a DCAP header", { details: `${quote.length} bytes` });
  }
  const view = new DataView(quote.buffer, quote.byteOffset, quote.byteLength);
  const version = view.getUint16(0, true);
  const teeType = view.getUint32(4, true);
  if (teeType !== TEE_TYPE_TDX) return { version, teeType, tdReport: undefined };
  if (version === 4) return { version, teeType, tdReport: decodeTdReport(quote, HEADER_LENGTH) };
  if (version === 5) {
    return { version, teeType, tdReport: decodeTdReport(quote, HEADER_LENGTH + BODY_DESCRIPTOR_LENGTH) };
  }
  throw new QuoteFormatError(`Unsupported TDX quote version ${version}`);
}
