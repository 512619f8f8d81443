import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, writeDevnetState } from "@teetee/devnet";
import { teetee } from "./helpers.js";

test("teetee devnet status on a network whose pnpm start is gone says it stopped, nothing answers, and exits 4", async () => {
  const folder = mkdtempSync(join(tmpdir(), "teetee-status-"));
  const gone = Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
  const url = `http://127.0.0.1:${await freePort()}`;
  writeDevnetState(folder, {
    pid: gone,
    startedAt: "2026-12-02T10:00:00.000Z",
    rpcUrl: url,
    gatewayUrl: url,
    webUrl: `${url}/`,
    apiKey: "tt_key",
    model: "teetee-demo",
    envFile: join(folder, "devnet.env"),
    logDir: join(folder, "logs"),
    services: [
      { name: "chain", kind: "chain", url },
      { name: "runner-0", kind: "runner", url },
      { name: "gateway", kind: "gateway", url },
    ],
  });
  const result = await teetee(["devnet", "status", "--out", folder], {}, folder);
  expect(result.code).toBe(4);
  expect(result.stdout).toContain(`stopped (pid ${gone} is gone)`);
  expect(result.stdout.match(/not answering/g)).toHaveLength(3);
  expect(result.stderr).toContain(`The local network in ${folder} is not running.`);
});
