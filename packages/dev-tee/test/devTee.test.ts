import { createHash } from "node:crypto";
import { DstackClient } from "@phala/dstack-sdk";
import {
  type AttestationPolicy,
  computeQuoteHash,
  computeReportData,
  DEV_QUOTE_MAGIC,
  parseEventLog,
  type RunnerRegistrationFacts,
  replayRtmr,
  verifyRunnerAttestation,
} from "@teetee/sdk/attestation";
import { LOCAL_CHAIN_ID } from "@teetee/sdk/contracts";
import { bareHex, fromHex, type Hex } from "../src/hex.js";
import { createDevTee, type DevTee, devTeeOsImage } from "../src/index.js";

const composeHash: Hex = `0x${"c0".repeat(32)}`;
const appId: Hex = `0x${"a1".repeat(20)}`;

const commitment = {
  chainId: LOCAL_CHAIN_ID,
  registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  modelId: `0x${"11".repeat(32)}`,
  shardIndex: 1,
  runner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  weightsHash: `0x${"22".repeat(32)}`,
} as const;

/** Offsets of the dev quote's TD report: magic, then a 33-byte signer key. */
const reportOffset = DEV_QUOTE_MAGIC.length + 33;
const rtmrAt = (quote: Uint8Array, imr: number) =>
  bareHex(quote.slice(reportOffset + 328 + 48 * imr, reportOffset + 376 + 48 * imr));
/** SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) read straight from the quote's bytes. */
const osImageOf = (quote: Uint8Array): Hex =>
  `0x${createHash("sha256")
    .update(quote.slice(reportOffset + 136, reportOffset + 184))
    .update(quote.slice(reportOffset + 328, reportOffset + 472))
    .digest("hex")}`;
let defaultOsImage: Hex;

let tee: DevTee;
let client: DstackClient;

beforeAll(async () => {
  tee = await createDevTee({ composeHash, appId });
  client = new DstackClient(tee.url);
  defaultOsImage = osImageOf(fromHex((await client.getQuote("")).quote));
});

afterAll(async () => {
  await tee.close();
});

async function attest(target: DstackClient, chainId: number = commitment.chainId) {
  const reportData = computeReportData({ ...commitment, chainId });
  const response = await target.getQuote(fromHex(reportData));
  const quote = fromHex(response.quote);
  const registration: RunnerRegistrationFacts = {
    ...commitment,
    chainId,
    quoteHash: computeQuoteHash(quote),
    attestedAt: Math.floor(Date.now() / 1000) - 10,
    attestationTtl: 3600,
    allowedComposeHashes: new Set([composeHash]),
    allowedOsImages: new Set([defaultOsImage]),
  };
  return { response, quote, registration };
}

describe("dev-tee through the real @phala/dstack-sdk client", () => {
  test("listens on loopback only", () => {
    expect(new URL(tee.url).hostname).toBe("127.0.0.1");
  });

  test("getQuote returns a marked dev quote over the report data", async () => {
    const reportData = computeReportData(commitment);
    const response = await client.getQuote(fromHex(reportData));
    const quote = fromHex(response.quote);
    expect(new TextDecoder().decode(quote.subarray(0, DEV_QUOTE_MAGIC.length))).toBe("TEETEE-DEV-QUOTE-v1");
    expect(`0x${response.report_data}`).toBe(reportData);
  });

  test("short report data is zero-padded to 64 bytes, as dstack does", async () => {
    const response = await client.getQuote("hi");
    expect(response.report_data).toBe(`6869${"00".repeat(62)}`);
  });

  test("the SDK's replayRtmrs() agrees with the quote on all four RTMRs and with our RTMR3 replay", async () => {
    const response = await client.getQuote(new Uint8Array(64));
    const quote = fromHex(response.quote);
    const sdkReplay = response.replayRtmrs();
    expect(sdkReplay).toEqual([0, 1, 2, 3].map((imr) => rtmrAt(quote, imr)));
    expect(bareHex(replayRtmr(parseEventLog(response.event_log), 3))).toBe(sdkReplay[3]);
  });

  test("the event log carries the identity events in RTMR3", async () => {
    const events = parseEventLog((await client.getQuote("")).event_log).filter((event) => event.imr === 3);
    const byName = new Map(events.map((event) => [event.event, event.event_payload]));
    expect(byName.get("compose-hash")).toBe(composeHash.slice(2));
    expect(byName.get("app-id")).toBe(appId.slice(2));
    expect(byName.get("instance-id")).toBe(tee.identity.instanceId.slice(2));
    expect(JSON.parse(Buffer.from(byName.get("key-provider") ?? "", "hex").toString())).toEqual({
      name: "teetee-dev",
      id: tee.signerPublicKey.slice(2),
    });
  });

  test("the boot section carries os-image-hash after boot-mr-done, the image vm_config and /Info name", async () => {
    const response = await client.getQuote("");
    const boot = parseEventLog(response.event_log).filter((event) => event.imr === 3);
    const names = boot.map((event) => event.event);
    expect(names.indexOf("os-image-hash")).toBe(names.indexOf("boot-mr-done") + 1);
    const payload = boot.find((event) => event.event === "os-image-hash")?.event_payload;
    expect(payload).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(response.vm_config ?? "{}").os_image_hash).toBe(payload);
    expect((await client.info()).os_image_hash).toBe(payload);
    expect(tee.identity.osImageHash).toBe(`0x${payload}`);
    // What a curator allowlists for dev-tee runners is computable without starting one.
    expect(tee.osImage).toBe(defaultOsImage);
    expect(devTeeOsImage()).toBe(defaultOsImage);
  });

  test("another OS image gives other MRTD, RTMR0-2 and os-image-hash; the same image, the same ones", async () => {
    const other = await createDevTee({ composeHash, osImageName: "teetee-dev-os-unchecked" });
    const same = await createDevTee({ composeHash: `0x${"c1".repeat(32)}` });
    try {
      const quoteOf = async (t: DevTee) => new DstackClient(t.url).getQuote("");
      const otherResponse = await quoteOf(other);
      const eventOf = (r: { event_log: string }) =>
        parseEventLog(r.event_log).find((event) => event.event === "os-image-hash")?.event_payload;
      expect(osImageOf(fromHex(otherResponse.quote))).not.toBe(defaultOsImage);
      expect(eventOf(otherResponse)).not.toBe(eventOf(await client.getQuote("")));
      // The OS measurements do not depend on the app or the instance.
      expect(osImageOf(fromHex((await quoteOf(same)).quote))).toBe(defaultOsImage);
    } finally {
      await other.close();
      await same.close();
    }
  });

  test("info reports the identity and the same registers", async () => {
    const info = await client.info();
    const quote = fromHex((await client.getQuote("")).quote);
    expect(info.app_id).toBe(appId.slice(2));
    expect(info.instance_id).toBe(tee.identity.instanceId.slice(2));
    expect(info.compose_hash).toBe(composeHash.slice(2));
    expect(info.tcb_info.rtmr3).toBe(rtmrAt(quote, 3));
    expect(info.tcb_info.event_log.length).toBeGreaterThan(4);
  });

  test("version answers", async () => {
    expect((await client.version()).version).toMatch(/teetee-dev/);
  });

  test("getKey is deterministic per path and purpose, and differs across them", async () => {
    const a = await client.getKey("runner/seal", "encryption");
    const again = await client.getKey("runner/seal", "encryption");
    const otherPath = await client.getKey("runner/other", "encryption");
    const otherPurpose = await client.getKey("runner/seal", "signing");
    expect(a.key).toHaveLength(32);
    expect(bareHex(a.key)).toBe(bareHex(again.key));
    expect(bareHex(a.key)).not.toBe(bareHex(otherPath.key));
    expect(bareHex(a.key)).not.toBe(bareHex(otherPurpose.key));
    expect(a.signature_chain.map((signature) => signature.length)).toEqual([65, 65]);
  });

  test("each instance has its own identity and keys", async () => {
    const other = await createDevTee({ composeHash, appId });
    try {
      const otherClient = new DstackClient(other.url);
      expect(other.identity.instanceId).not.toBe(tee.identity.instanceId);
      const mine = await client.getKey("k", "p");
      const theirs = await otherClient.getKey("k", "p");
      expect(bareHex(mine.key)).not.toBe(bareHex(theirs.key));
    } finally {
      await other.close();
    }
  });

  test("the same identity gives the same keys after a restart", async () => {
    const identity = { composeHash, appId, instanceId: `0x${"1d".repeat(20)}` as Hex };
    const first = await createDevTee(identity);
    const firstKey = bareHex((await new DstackClient(first.url).getKey("k", "p")).key);
    await first.close();
    const second = await createDevTee(identity);
    const secondKey = bareHex((await new DstackClient(second.url).getKey("k", "p")).key);
    await second.close();
    expect(secondKey).toBe(firstKey);
  });

  test("DSTACK_SIMULATOR_ENDPOINT points a default client at the dev-tee", async () => {
    const previous = process.env["DSTACK_SIMULATOR_ENDPOINT"];
    const warn = console.warn;
    process.env["DSTACK_SIMULATOR_ENDPOINT"] = tee.url;
    console.warn = () => {};
    try {
      expect((await new DstackClient().info()).app_id).toBe(appId.slice(2));
    } finally {
      console.warn = warn;
      if (previous === undefined) delete process.env["DSTACK_SIMULATOR_ENDPOINT"];
      else process.env["DSTACK_SIMULATOR_ENDPOINT"] = previous;
    }
  });

  test("emitEvent extends RTMR3 and the replay still agrees", async () => {
    const scratch = await createDevTee({ composeHash });
    try {
      const scratchClient = new DstackClient(scratch.url);
      const before = (await scratchClient.getQuote("")).replayRtmrs()[3];
      await scratchClient.emitEvent("runner-key", "0x02abcdef");
      const response = await scratchClient.getQuote("");
      expect(response.replayRtmrs()[3]).not.toBe(before);
      expect(bareHex(replayRtmr(parseEventLog(response.event_log), 3))).toBe(
        rtmrAt(fromHex(response.quote), 3),
      );
    } finally {
      await scratch.close();
    }
  });

  test("malformed requests get dstack's { error } shape with status 400", async () => {
    const response = await fetch(`${tee.url}/GetQuote`, {
      method: "POST",
      body: JSON.stringify({ report_data: "zz" }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.any(String) });
    const notJson = await fetch(`${tee.url}/Info`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    const tooLarge = await fetch(`${tee.url}/EmitEvent`, {
      method: "POST",
      body: JSON.stringify({ event: "x", payload: "00".repeat(70000) }),
    });
    expect(tooLarge.status).toBe(413);
    await expect(client.getKey("p", "q", "ed25519")).rejects.toThrow();
  });
});

describe("the SDK verifier on dev quotes", () => {
  const devPolicy: AttestationPolicy = { allowDevQuotes: true };

  test("accepts a dev quote under allowDevQuotes on chain 31337, every check passing", async () => {
    const { response, registration } = await attest(client);
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: `0x${response.quote}`, eventLog: response.event_log },
      registration,
      policy: devPolicy,
    });
    expect(verdict.checks.filter((check) => check.status !== "pass")).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.kind).toBe("dev");
    expect(verdict.composeHash).toBe(composeHash);
    expect(verdict.expiresAt).toBe(Number(registration.attestedAt) + 3600);
  });

  test("accepts it on chain 1337 as well", async () => {
    const { response, registration } = await attest(client, 1337);
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: response.quote as Hex, eventLog: response.event_log },
      registration,
      policy: devPolicy,
    });
    expect(verdict.ok).toBe(true);
  });

  test("refuses it on chain 1", async () => {
    const { response, registration } = await attest(client, 1);
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: response.quote as Hex, eventLog: response.event_log },
      registration,
      policy: devPolicy,
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.error?.name).toBe("DevQuoteRefusedError");
  });

  test("refuses it when allowDevQuotes is off", async () => {
    const { response, registration } = await attest(client);
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: response.quote as Hex, eventLog: response.event_log },
      registration,
      policy: {},
    });
    expect(verdict.error?.name).toBe("DevQuoteRefusedError");
  });

  test.each([
    ["report data", reportOffset + 520],
    ["RTMR3", reportOffset + 472],
    ["the signature", -1],
  ])("refuses a dev quote with tampered %s", async (_label, offset) => {
    const { quote, response, registration } = await attest(client);
    const tampered = quote.slice();
    const index = offset < 0 ? tampered.length + offset : offset;
    tampered[index] = (tampered[index] ?? 0) ^ 0x01;
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: tampered, eventLog: response.event_log },
      registration: { ...registration, quoteHash: computeQuoteHash(tampered) },
      policy: devPolicy,
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.checks[0]?.error?.name).toBe("DevQuoteSignatureError");
  });

  test("refuses a dev quote from a signer the policy does not list", async () => {
    const rogue = await createDevTee({ composeHash, signerPrivateKey: `0x${"42".repeat(32)}` });
    try {
      const { response, registration } = await attest(new DstackClient(rogue.url));
      const verdict = await verifyRunnerAttestation({
        evidence: { quote: response.quote as Hex, eventLog: response.event_log },
        registration,
        policy: devPolicy,
      });
      expect(verdict.error?.name).toBe("DevQuoteSignatureError");
      const trusted = await verifyRunnerAttestation({
        evidence: { quote: response.quote as Hex, eventLog: response.event_log },
        registration,
        policy: { allowDevQuotes: true, devQuoteSigners: [rogue.signerPublicKey] },
      });
      expect(trusted.ok).toBe(true);
    } finally {
      await rogue.close();
    }
  });

  test("attack: 11 a dev TEE booting an OS image not on the model's allowlist passes attestation", async () => {
    const unchecked = await createDevTee({ composeHash, osImageName: "teetee-dev-os-unchecked" });
    try {
      const { response, registration } = await attest(new DstackClient(unchecked.url));
      const verdict = await verifyRunnerAttestation({
        evidence: { quote: response.quote as Hex, eventLog: response.event_log },
        registration,
        policy: devPolicy,
      });
      expect(verdict.error?.name).toBe("OsImageNotAllowedError");
      expect(verdict.ok).toBe(false);
    } finally {
      await unchecked.close();
    }
  });

  test("refuses a debug TD", async () => {
    const debugTee = await createDevTee({ composeHash, debug: true });
    try {
      const { response, registration } = await attest(new DstackClient(debugTee.url));
      const verdict = await verifyRunnerAttestation({
        evidence: { quote: response.quote as Hex, eventLog: response.event_log },
        registration,
        policy: devPolicy,
      });
      expect(verdict.error?.name).toBe("DebugModeError");
    } finally {
      await debugTee.close();
    }
  });

  test("refuses a compose hash outside the allowlist", async () => {
    const { response, registration } = await attest(client);
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: response.quote as Hex, eventLog: response.event_log },
      registration: { ...registration, allowedComposeHashes: [`0x${"00".repeat(32)}`] },
      policy: devPolicy,
    });
    expect(verdict.error?.name).toBe("ComposeHashNotAllowedError");
  });

  test("refuses report data committing to another registration", async () => {
    const { response, registration } = await attest(client);
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: response.quote as Hex, eventLog: response.event_log },
      registration: { ...registration, shardIndex: 2 },
      policy: devPolicy,
    });
    expect(verdict.error?.name).toBe("ReportDataMismatchError");
  });

  test("refuses an event log with a forged compose-hash event", async () => {
    const { response, registration } = await attest(client);
    const events = parseEventLog(response.event_log).map((event) =>
      event.event === "compose-hash" ? { ...event, event_payload: "00".repeat(32) } : event,
    );
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: response.quote as Hex, eventLog: events },
      registration: { ...registration, allowedComposeHashes: () => true },
      policy: devPolicy,
    });
    expect(verdict.error?.name).toBe("Rtmr3MismatchError");
  });
});
