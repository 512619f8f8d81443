import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Deployment } from "@teetee/contracts/deployments";
import { describeServerLimits } from "@teetee/devnet/testing";
import { zeroAddress } from "viem";
import { serveWeb } from "../src/server/serveWeb.js";

/** The web server alone (no browser): a stand-in built app, and a gateway nobody listens for. */
const dir = mkdtempSync(join(tmpdir(), "web-limits-"));
writeFileSync(join(dir, "index.html"), "<!doctype html><title>TeeTee</title>");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAX_BODY_BYTES = 4096;
const deployment: Deployment = {
  chainId: 31337,
  token: zeroAddress,
  modelRegistry: zeroAddress,
  staking: zeroAddress,
  runnerRegistry: zeroAddress,
  paymentEscrow: zeroAddress,
  receiptSlasher: zeroAddress,
  treasury: zeroAddress,
  startBlock: 0,
};

describeServerLimits("web server", {
  start: (limits) =>
    serveWeb({
      dir,
      rpcUrl: "http://127.0.0.1:8545",
      deployment,
      gatewayUrl: "http://127.0.0.1:1",
      maxBodyBytes: MAX_BODY_BYTES,
      limits,
    }),
  alivePath: "/config.json",
  body: { path: "/gateway/v1/chat/completions", contentType: "application/json", maxBytes: MAX_BODY_BYTES },
});
