import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { DstackClient } from "@phala/dstack-sdk";
import { createDevTee } from "@teetee/dev-tee";
import { extractComposeHash, parseEventLog } from "@teetee/sdk/attestation";
import { runnerAppCompose, runnerComposeHash } from "../src/composeHash.js";

const dockerCompose = readFileSync(new URL("../../../deploy/docker-compose.yml", import.meta.url), "utf8");

/** The sorted-key JSON dstack hashes, written out independently of the SDK. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

describe("deploy/docker-compose.yml compose hash", () => {
  const appCompose = runnerAppCompose({ dockerCompose });

  test("mounts the dstack socket", () => {
    expect(dockerCompose).toContain("/var/run/dstack.sock:/var/run/dstack.sock");
  });

  test("is the SHA-256 of the sorted-key app-compose JSON", () => {
    const expected = `0x${createHash("sha256").update(canonical(appCompose)).digest("hex")}`;
    expect(runnerComposeHash(appCompose)).toBe(expected);
  });

  test("changes with any byte of the compose file (e.g. the image digest)", () => {
    const changed = runnerAppCompose({ dockerCompose: dockerCompose.replace("sha256:0000", "sha256:0001") });
    expect(runnerComposeHash(changed)).not.toBe(runnerComposeHash(appCompose));
  });

  test("is what a TEE running this app-compose measures into its event log", async () => {
    const tee = await createDevTee({ appCompose: canonical(appCompose) });
    try {
      const { event_log } = await new DstackClient(tee.url).getQuote(new Uint8Array(64));
      expect(extractComposeHash(parseEventLog(event_log))).toBe(runnerComposeHash(appCompose));
    } finally {
      await tee.close();
    }
  });
});
