export * from "./attestation/index.js";
export * from "./contracts/index.js";
export * from "./http/index.js";
export * from "./payments/index.js";
export * from "./pipeline/index.js";
export * from "./wire/index.js";
