import { describeServerLimits } from "@teetee/devnet/testing";
import { createDevTee } from "../src/createDevTee.js";

describeServerLimits("dev TEE", {
  start: (limits) => createDevTee({ limits }),
  alivePath: "/Version",
  body: { path: "/GetQuote", contentType: "application/json", maxBytes: 64 * 1024 },
});
