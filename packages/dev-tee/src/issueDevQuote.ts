import { sha384 } from "@noble/hashes/sha2";
import { utf8ToBytes } from "@noble/hashes/utils";
import { signDevQuote, type TdReport } from "@teetee/sdk/attestation";
import type { DevTeeIdentity } from "./devTeeIdentity.js";
import type { MeasurementLog } from "./measurementLog.js";

/** Report data shorter than 64 bytes is right-padded with zeros, as dstack does. */
export function padReportData(reportData: Uint8Array): Uint8Array {
  const padded = new Uint8Array(64);
  padded.set(reportData);
  return padded;
}

/** TD attributes with only SEPT_VE_DISABLE set, like a production dstack CVM; DEBUG when asked. */
function tdAttributes(debug: boolean): Uint8Array {
  return new Uint8Array([debug ? 0x01 : 0x00, 0, 0, 0x10, 0, 0, 0, 0]);
}

/** Signs a development quote over the current registers and the caller's report data. */
export function issueDevQuote(
  identity: DevTeeIdentity,
  log: MeasurementLog,
  reportData: Uint8Array,
): Uint8Array {
  const zeros = (length: number) => new Uint8Array(length);
  const tdReport: TdReport = {
    teeTcbSvn: zeros(16),
    mrSeam: sha384(utf8ToBytes("TeeTee.DevTee.MRSEAM.v1")),
    mrSignerSeam: zeros(48),
    seamAttributes: zeros(8),
    tdAttributes: tdAttributes(identity.debug),
    xfam: zeros(8),
    mrTd: log.mrTd,
    mrConfigId: zeros(48),
    mrOwner: zeros(48),
    mrOwnerConfig: zeros(48),
    rtmr0: log.rtmr(0),
    rtmr1: log.rtmr(1),
    rtmr2: log.rtmr(2),
    rtmr3: log.rtmr(3),
    reportData: padReportData(reportData),
  };
  return signDevQuote({ tdReport, signerPrivateKey: identity.signerPrivateKey });
}
