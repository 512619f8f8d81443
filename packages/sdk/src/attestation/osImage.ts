import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, concatBytes, type Hex, hexToBytes } from "viem";
import { decodeDevQuote, isDevQuote } from "./devQuote.js";
import { QuoteFormatError } from "./errors.js";
import { parseIntelQuote } from "./parseQuote.js";
import type { TdReport } from "./tdReport.js";

/**
 * What a model allowlists as the OS its runners may boot: SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2), dstack's
 * `mr_system` without the key provider. The TDX module measures the firmware into MRTD and the firmware and
 * bootloader measure the VM configuration and ACPI tables (RTMR0), the kernel (RTMR1) and its command line and
 * initrd (RTMR2) before the guest OS runs, and the quote signs them. dstack's `os-image-hash` event is no
 * substitute: the guest OS itself extends it into RTMR3, so an OS nobody checked can claim any image.
 */
export function osImageMeasurement(report: Pick<TdReport, "mrTd" | "rtmr0" | "rtmr1" | "rtmr2">): Hex {
  return bytesToHex(sha256(concatBytes([report.mrTd, report.rtmr0, report.rtmr1, report.rtmr2])));
}

/**
 * The `osImageMeasurement` of a TDX or development quote, as the runner states it in its consent (a verifier
 * recomputes it from the quote it verified).
 * @throws QuoteFormatError for a quote that carries no TD report
 */
export function quoteOsImage(quote: Hex | Uint8Array): Hex {
  const bytes = typeof quote === "string" ? hexToBytes(quote) : quote;
  const report = isDevQuote(bytes) ? decodeDevQuote(bytes).tdReport : parseIntelQuote(bytes).tdReport;
  if (report === undefined) throw new QuoteFormatError("Quote carries no TD report, so it names no OS image");
  return osImageMeasurement(report);
}
