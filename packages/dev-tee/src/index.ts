export { createDevTee, type DevTee, type DevTeeServerOptions } from "./createDevTee.js";
export { createDevTeeApp } from "./createDevTeeApp.js";
export { deriveDevKey, getDevKey } from "./deriveDevKey.js";
export { DEFAULT_DEV_OS_IMAGE_NAME, type DevOsImage, devOsImage } from "./devOsImage.js";
export {
  createDevTeeIdentity,
  type DevTeeIdentity,
  type DevTeeOptions,
  devTeeOptionsSchema,
} from "./devTeeIdentity.js";
export { issueDevQuote, padReportData } from "./issueDevQuote.js";
export { devTeeOsImage, MeasurementLog } from "./measurementLog.js";
