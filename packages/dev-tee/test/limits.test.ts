import { describeServerLimits } from "../../../scripts/lib/serverLimitsSpec.js";
import { createDevTee } from "../src/createDevTee.js";

describeServerLimits("dev TEE", {
  start: (limits) => createDevTee({ limits }),
  alivePath: "/Version",
  body: { path: "/GetQuote", contentType: "application/json", maxBytes: 64 * 1024 },
});
