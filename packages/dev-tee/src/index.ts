export { createDevTee, type DevTee, type DevTeeServerOptions } from "./createDevTee.js";
export { createDevTeeApp } from "./createDevTeeApp.js";
export { deriveDevKey, getDevKey } from "./deriveDevKey.js";
export {
  createDevTeeIdentity,
  type DevTeeIdentity,
  type DevTeeOptions,
  devTeeOptionsSchema,
} from "./devTeeIdentity.js";
export { issueDevQuote, padReportData } from "./issueDevQuote.js";
export { MeasurementLog } from "./measurementLog.js";
