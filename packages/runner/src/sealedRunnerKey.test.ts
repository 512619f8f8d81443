import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DstackClient } from "@phala/dstack-sdk";
import { createDevTee, type DevTee } from "@teetee/dev-tee";
import { RunnerStartupError } from "./errors.js";
import { loadOrCreateRunnerKey, SEALED_KEY_FILE } from "./sealedRunnerKey.js";

const appA = {
  appCompose: JSON.stringify({ runner: "docker-compose", name: "app-a" }),
  instanceId: `0x${"11".repeat(20)}`,
};
const appB = {
  appCompose: JSON.stringify({ runner: "docker-compose", name: "app-b" }),
  instanceId: `0x${"11".repeat(20)}`,
};
const tees: DevTee[] = [];

async function tee(options: typeof appA): Promise<DstackClient> {
  const started = await createDevTee(options);
  tees.push(started);
  return new DstackClient(started.url);
}

afterAll(async () => {
  await Promise.all(tees.map((t) => t.close()));
});

describe("sealed runner key", () => {
  test("is made at first start, sealed, and unsealed to the same address after a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "teetee-key-"));
    const first = await loadOrCreateRunnerKey({ dataDir, dstack: await tee(appA) });
    expect(first.created).toBe(true);
    const file = readFileSync(join(dataDir, SEALED_KEY_FILE), "utf8");
    expect(file).not.toContain(first.privateKey.slice(2));
    // A restarted CVM of the same app gets the same dstack key.
    const again = await loadOrCreateRunnerKey({ dataDir, dstack: await tee(appA) });
    expect(again).toEqual({ ...first, created: false });
  });

  test("cannot be unsealed with another app's key", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "teetee-key-"));
    await loadOrCreateRunnerKey({ dataDir, dstack: await tee(appA) });
    await expect(loadOrCreateRunnerKey({ dataDir, dstack: await tee(appB) })).rejects.toThrow(
      /cannot be unsealed in this TEE/,
    );
  });

  test("a sealed file claiming another address is refused", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "teetee-key-"));
    const dstack = await tee(appA);
    await loadOrCreateRunnerKey({ dataDir, dstack });
    const path = join(dataDir, SEALED_KEY_FILE);
    const sealed = JSON.parse(readFileSync(path, "utf8")) as { address: string };
    writeFileSync(path, JSON.stringify({ ...sealed, address: "0x000000000000000000000000000000000000dEaD" }));
    await expect(loadOrCreateRunnerKey({ dataDir, dstack })).rejects.toBeInstanceOf(RunnerStartupError);
  });
});
