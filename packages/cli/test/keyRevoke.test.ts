import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatApiKey } from "@teetee/sdk/payments";
import { teetee } from "./helpers.js";

/** `teetee key revoke <api key>` reads the key with the SDK's one parser before it needs a wallet or a chain. */
describe("teetee key revoke <api key>", () => {
  const cwd = mkdtempSync(join(tmpdir(), "teetee-key-revoke-"));
  const key = formatApiKey({
    buyer: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    sessionPrivateKey: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  });

  test("a malformed key is bad usage (exit 2) with the SDK's message and hint", async () => {
    const run = await teetee(["key", "revoke", `${key}0`], {}, cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/The API key is malformed/);
    expect(run.stderr).toMatch(/tt_<buyer address without 0x>_<session key without 0x>/);
  });

  test("an upper-case key is read like its lower-case form: it fails only later, for want of a wallet", async () => {
    const run = await teetee(["key", "revoke", `tt_${key.slice(3).toUpperCase()}`], {}, cwd);
    expect(run.stderr).not.toMatch(/malformed|Not a TeeTee API key/);
    expect(run.code).toBe(3);
  });
});
