/**
 * Test networks for every package's tests and the benchmarks: runner processes on a local chain
 * (`startTestNetwork`), paid runners and funded buyers for the gateway, and the shared HTTP-limits spec.
 */
export * from "./localNetwork.js";
export * from "./paidNetwork.js";
export * from "./rawHttp.js";
export * from "./receiptBundles.js";
export * from "./serverLimitsSpec.js";
