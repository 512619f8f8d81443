export * from "./createLimitedServer.js";
export * from "./serverLimits.js";
