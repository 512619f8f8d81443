import { QuoteFormatError } from "./errors.js";
import { decodeTdReport, type TdReport } from "./tdReport.js";

export const TEE_TYPE_SGX = 0x00;
export const TEE_TYPE_TDX = 0x81;

const HEADER_LENGTH = 48;
const BODY_DESCRIPTOR_LENGTH = 6;
const SGX_REPORT_LENGTH = 384;
const TD_REPORT_V4_LENGTH = 584;

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

/**
 * Where a DCAP quote's signed structure ends: header, body (SGX report, TD report, or v5's described body), the
 * 4-byte signature data length and the signature data it announces.
 * @throws QuoteFormatError when the quote is too short to say, or of a version this verifier does not read
 */
export function signedQuoteLength(quote: Uint8Array): number {
  const view = new DataView(quote.buffer, quote.byteOffset, quote.byteLength);
  const need = (length: number) => {
    if (quote.length < length) {
      throw new QuoteFormatError("Quote is cut short", { details: `${quote.length} bytes, need ${length}` });
    }
  };
  need(HEADER_LENGTH);
  const version = view.getUint16(0, true);
  let bodyEnd: number;
  if (version === 3) bodyEnd = HEADER_LENGTH + SGX_REPORT_LENGTH;
  else if (version === 4) {
    bodyEnd =
      HEADER_LENGTH + (view.getUint32(4, true) === TEE_TYPE_TDX ? TD_REPORT_V4_LENGTH : SGX_REPORT_LENGTH);
  } else if (version === 5) {
    need(HEADER_LENGTH + BODY_DESCRIPTOR_LENGTH);
    bodyEnd = HEADER_LENGTH + BODY_DESCRIPTOR_LENGTH + view.getUint32(HEADER_LENGTH + 2, true);
  } else throw new QuoteFormatError(`Unsupported DCAP quote version ${version}`);
  need(bodyEnd + 4);
  return bodyEnd + 4 + view.getUint32(bodyEnd, true);
}
