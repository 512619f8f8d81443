import { bytesToHex, type Hex } from "viem";
import { PINNED_TDX_TIME, readCollateral, readDstackResponse, readFixture } from "../../test/fixtures.js";
import { AttestationCache } from "./AttestationCache.js";
import type { AttestationPolicy, RunnerRegistrationFacts } from "./attestationPolicy.js";
import type { AttestationCheckId, AttestationVerdict } from "./attestationResult.js";
import { computeQuoteHash } from "./quoteHash.js";
import { verifyRunnerAttestation } from "./verifyRunnerAttestation.js";

const tdxQuote = readFixture("tdx/tdx_quote");
const tdxCollateral = readCollateral("tdx/tdx_quote_collateral.json");
const dstackResponse = readDstackResponse("quote-report.json");
const dstackComposeHash: Hex = "0x3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7";
const liteResponse = readDstackResponse("tdx-lite-getquote.json");
// SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of each fixture quote, computed independently with Python's hashlib.
const dstackOsImage: Hex = "0x93fe7eddb11e0d6709fa4a72bb08518f8ce4fabb624bf6d3730f4adbde1081b6";
const liteOsImage: Hex = "0x25b6bcfaf2f8b1a9a5ddb7853e6af4eaba062de693b049d8f71521286d90f494";
const tdxOsImage: Hex = "0x345469a462dafe286b728237091da824ce7508ebf14b390a47b1766c9c22cd65";
/** The `os-image-hash` event the dstack 0.6.0 guest wrote into RTMR3 of the lite fixture. */
const liteOsImageHashEvent: Hex = "0x07a2388c7a6a1b6a646d443f1517990a4ec294471d63146cda9d56972765051d";

function registration(
  quote: Uint8Array,
  overrides: Partial<RunnerRegistrationFacts> = {},
): RunnerRegistrationFacts {
  return {
    chainId: 8453,
    registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    modelId: `0x${"11".repeat(32)}`,
    shardIndex: 0,
    runner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    weightsHash: `0x${"22".repeat(32)}`,
    quoteHash: computeQuoteHash(quote),
    attestedAt: PINNED_TDX_TIME - 3600,
    attestationTtl: 86400,
    allowedComposeHashes: new Set([dstackComposeHash]),
    allowedOsImages: new Set([dstackOsImage, liteOsImage, tdxOsImage]),
    ...overrides,
  };
}

const pinnedPolicy: AttestationPolicy = { collateral: tdxCollateral, now: () => PINNED_TDX_TIME };

function statusOf(verdict: AttestationVerdict, id: AttestationCheckId) {
  return verdict.checks.find((check) => check.id === id);
}

describe("verifyRunnerAttestation with the real TDX quote", () => {
  test("reports every check in order", async () => {
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: tdxQuote, eventLog: "[]" },
      registration: registration(tdxQuote),
      policy: pinnedPolicy,
    });
    expect(verdict.checks.map((check) => check.id)).toEqual([
      "quote-signature",
      "tee-type",
      "debug-off",
      "rtmr3-replay",
      "os-image-allowed",
      "compose-hash-allowed",
      "report-data",
      "quote-hash",
      "attestation-fresh",
    ]);
    expect(verdict.kind).toBe("tdx");
    expect(verdict.tcbStatus).toBe("UpToDate");
    expect(statusOf(verdict, "quote-signature")?.status).toBe("pass");
    expect(statusOf(verdict, "tee-type")?.status).toBe("pass");
    expect(statusOf(verdict, "debug-off")?.status).toBe("pass");
    // The dcap-qvl sample was not made by dstack: RTMR3 is zero and no compose-hash event exists.
    expect(statusOf(verdict, "rtmr3-replay")?.status).toBe("pass");
    expect(statusOf(verdict, "os-image-allowed")?.status).toBe("pass");
    expect(verdict.osImage).toBe(tdxOsImage);
    expect(statusOf(verdict, "compose-hash-allowed")?.error?.name).toBe("EventLogError");
    expect(statusOf(verdict, "report-data")?.error?.name).toBe("ReportDataMismatchError");
    expect(statusOf(verdict, "quote-hash")?.status).toBe("pass");
    expect(statusOf(verdict, "attestation-fresh")?.status).toBe("pass");
    expect(verdict.ok).toBe(false);
    expect(verdict.error?.name).toBe("EventLogError");
  });

  test("at today's date the signature check fails with CollateralExpiredError", async () => {
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: bytesToHex(tdxQuote), eventLog: "[]" },
      registration: registration(tdxQuote, { attestedAt: Math.floor(Date.now() / 1000) }),
      policy: { collateral: tdxCollateral },
    });
    expect(statusOf(verdict, "quote-signature")?.error?.name).toBe("CollateralExpiredError");
    expect(verdict.error?.name).toBe("CollateralExpiredError");
  });

  test("a flipped byte is refused", async () => {
    const tampered = tdxQuote.slice();
    tampered[700] = (tampered[700] ?? 0) ^ 0xff;
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: tampered, eventLog: "[]" },
      registration: registration(tampered),
      policy: pinnedPolicy,
    });
    expect(statusOf(verdict, "quote-signature")?.error?.name).toBe("QuoteSignatureError");
    expect(verdict.ok).toBe(false);
  });

  test("a quote hash other than the registered one is refused", async () => {
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: tdxQuote, eventLog: "[]" },
      registration: registration(tdxQuote, { quoteHash: `0x${"ab".repeat(32)}` }),
      policy: pinnedPolicy,
    });
    expect(statusOf(verdict, "quote-hash")?.error?.name).toBe("QuoteHashMismatchError");
  });

  test("an attestation older than the TTL is refused", async () => {
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: tdxQuote, eventLog: "[]" },
      registration: registration(tdxQuote, { attestedAt: PINNED_TDX_TIME - 90000, attestationTtl: 86400n }),
      policy: pinnedPolicy,
    });
    expect(statusOf(verdict, "attestation-fresh")?.error?.name).toBe("AttestationExpiredError");
  });

  test("caches the Intel verdict per quote hash until the collateral's nextUpdate", async () => {
    const cache = new AttestationCache();
    let now = PINNED_TDX_TIME;
    const policy: AttestationPolicy = { collateral: tdxCollateral, now: () => now, cache };
    const params = {
      evidence: { quote: tdxQuote, eventLog: "[]" },
      registration: registration(tdxQuote),
      policy,
    };
    await verifyRunnerAttestation(params);
    expect(cache.size).toBe(1);
    const second = await verifyRunnerAttestation(params);
    expect(statusOf(second, "quote-signature")?.detail).toMatch(/cached/);
    now = Date.parse("2025-07-20T00:00:00Z") / 1000;
    const afterExpiry = await verifyRunnerAttestation(params);
    expect(statusOf(afterExpiry, "quote-signature")?.error?.name).toBe("CollateralExpiredError");
  });
});

describe("audit attacks on the quote's bytes (issue 12, item 12)", () => {
  const signedEnd = 4936; // 48 header + 584 TD report + 4 + 4300 signature data; 70 zero bytes of padding follow
  const verifyBytes = (bytes: Uint8Array) =>
    verifyRunnerAttestation({
      evidence: { quote: bytes, eventLog: "[]" },
      // The registration names the genuine quote's hash: what an operator appended must not change what verifies.
      registration: registration(tdxQuote),
      policy: pinnedPolicy,
    });
  const withTail = (tail: Uint8Array) => Uint8Array.from([...tdxQuote, ...tail]);

  test("attack: 12 a quote with 1 MiB of trailing garbage verifies", async () => {
    const verdict = await verifyBytes(withTail(new Uint8Array(1 << 20).fill(0xab)));
    expect(verdict.ok).toBe(false);
    expect(statusOf(verdict, "quote-signature")?.error?.name).toBe("QuoteFormatError");
    expect(verdict.quoteHash).toBeUndefined();
  });

  test("attack: 12 one byte appended after the signature data verifies, with another quote hash", async () => {
    const verdict = await verifyBytes(withTail(Uint8Array.of(1)));
    expect(statusOf(verdict, "quote-signature")?.error?.shortMessage).toBe(
      "Quote carries bytes past its signature data",
    );
  });

  test("attack: 12 cut padding gives the same quote another hash", async () => {
    const cut = tdxQuote.subarray(0, signedEnd);
    expect(computeQuoteHash(cut)).toBe(computeQuoteHash(tdxQuote));
    expect(computeQuoteHash(withTail(new Uint8Array(30)))).toBe(computeQuoteHash(tdxQuote));
    const verdict = await verifyBytes(cut);
    expect(statusOf(verdict, "quote-signature")?.status).toBe("pass");
    expect(statusOf(verdict, "quote-hash")?.status).toBe("pass");
  });

  test("a quote cut inside its signature data, or over the size cap, is refused before any check", async () => {
    for (const bytes of [tdxQuote.subarray(0, signedEnd - 1), withTail(new Uint8Array(70 * 1024))]) {
      const verdict = await verifyBytes(bytes);
      expect(statusOf(verdict, "quote-signature")?.error?.name).toBe("QuoteFormatError");
      expect(statusOf(verdict, "tee-type")?.status).toBe("skip");
    }
  });
});

describe("audit attacks on the verifier's cache and allowlist (issue 12, item 13)", () => {
  test("attack: 13 a TCB verdict cached under a lenient policy passes a strict policy", async () => {
    const cache = new AttestationCache();
    const params = (acceptedTcbStatuses: AttestationPolicy["acceptedTcbStatuses"]) => ({
      evidence: { quote: tdxQuote, eventLog: "[]" },
      registration: registration(tdxQuote),
      policy: {
        ...pinnedPolicy,
        cache,
        ...(acceptedTcbStatuses === undefined ? {} : { acceptedTcbStatuses }),
      },
    });
    const lenient = await verifyRunnerAttestation(params(undefined));
    expect(statusOf(lenient, "quote-signature")?.status).toBe("pass");
    // The real quote is UpToDate; a policy that accepts only another status must refuse it, cache or not.
    const strict = await verifyRunnerAttestation(params(["OutOfDate"]));
    expect(statusOf(strict, "quote-signature")?.status).toBe("fail");
    const again = await verifyRunnerAttestation(params(undefined));
    expect(statusOf(again, "quote-signature")?.detail).toMatch(/cached/);
  });

  test("attack: 13 an allowlist callback answering a truthy non-boolean is not an allowance", async () => {
    const dstackQuote = dstackResponse.quote as Hex;
    const dstackQuoteBytes = Uint8Array.from(Buffer.from(dstackResponse.quote, "hex"));
    for (const answer of [1, "yes", {}, [] as unknown[]]) {
      const verdict = await verifyRunnerAttestation({
        evidence: { quote: dstackQuote, eventLog: dstackResponse.event_log },
        registration: registration(dstackQuoteBytes, {
          allowedComposeHashes: (() => answer) as unknown as () => boolean,
        }),
        policy: pinnedPolicy,
      });
      expect(statusOf(verdict, "compose-hash-allowed")?.error?.name).toBe("ComposeHashNotAllowedError");
    }
  });
});

describe("verifyRunnerAttestation with the real SGX quote", () => {
  test("is refused as the wrong TEE type", async () => {
    const sgxQuote = readFixture("tdx/sgx_quote");
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: sgxQuote, eventLog: "[]" },
      registration: registration(sgxQuote),
      policy: { collateral: readCollateral("tdx/sgx_quote_collateral.json"), now: () => PINNED_TDX_TIME },
    });
    expect(statusOf(verdict, "quote-signature")?.status).toBe("pass");
    expect(statusOf(verdict, "tee-type")?.error?.name).toBe("TeeTypeMismatchError");
    expect(statusOf(verdict, "rtmr3-replay")?.status).toBe("skip");
    expect(verdict.ok).toBe(false);
    expect(verdict.error?.name).toBe("TeeTypeMismatchError");
  });
});

describe("verifyRunnerAttestation with a real dstack GetQuote response", () => {
  const quote = dstackResponse.quote as Hex;
  const quoteBytes = Uint8Array.from(Buffer.from(dstackResponse.quote, "hex"));

  async function verify(overrides: Partial<RunnerRegistrationFacts>, eventLog = dstackResponse.event_log) {
    return verifyRunnerAttestation({
      evidence: { quote, eventLog },
      registration: registration(quoteBytes, overrides),
      policy: pinnedPolicy,
    });
  }

  test("replays RTMR3 and finds the compose hash in the allowlist", async () => {
    const verdict = await verify({});
    expect(statusOf(verdict, "rtmr3-replay")?.status).toBe("pass");
    expect(statusOf(verdict, "compose-hash-allowed")?.status).toBe("pass");
    expect(verdict.composeHash).toBe(dstackComposeHash);
    // No collateral ships with this quote, and its report data is not a TeeTee commitment.
    expect(statusOf(verdict, "quote-signature")?.status).toBe("fail");
    expect(statusOf(verdict, "report-data")?.error?.name).toBe("ReportDataMismatchError");
  });

  test("a compose hash outside the allowlist is refused", async () => {
    const verdict = await verify({ allowedComposeHashes: new Set([`0x${"00".repeat(32)}` as Hex]) });
    expect(statusOf(verdict, "compose-hash-allowed")?.error?.name).toBe("ComposeHashNotAllowedError");
  });

  test("an allowlist callback is consulted", async () => {
    const asked: Hex[] = [];
    const verdict = await verify({
      allowedComposeHashes: async (hash) => {
        asked.push(hash);
        return false;
      },
    });
    expect(asked).toEqual([dstackComposeHash]);
    expect(statusOf(verdict, "compose-hash-allowed")?.status).toBe("fail");
  });

  test("an edited event payload fails the replay and skips the allowlist", async () => {
    const events = JSON.parse(dstackResponse.event_log) as { event: string; event_payload: string }[];
    const edited = events.map((event) =>
      event.event === "compose-hash" ? { ...event, event_payload: "00".repeat(32) } : event,
    );
    const verdict = await verify({ allowedComposeHashes: () => true }, JSON.stringify(edited));
    expect(statusOf(verdict, "rtmr3-replay")?.error?.name).toBe("Rtmr3MismatchError");
    expect(statusOf(verdict, "compose-hash-allowed")?.status).toBe("skip");
    expect(verdict.composeHash).toBeUndefined();
  });

  test("a malformed quote fails parsing with every later check skipped", async () => {
    const verdict = await verifyRunnerAttestation({
      evidence: { quote: "0x1234", eventLog: "[]" },
      registration: registration(quoteBytes),
      policy: pinnedPolicy,
    });
    expect(verdict.error?.name).toBe("QuoteFormatError");
    expect(verdict.checks.slice(1).every((check) => check.status === "skip")).toBe(true);
  });
});

describe("audit attack on the booted OS (issue 12, item 11)", () => {
  const bytesOf = (response: typeof dstackResponse) => Uint8Array.from(Buffer.from(response.quote, "hex"));
  const verify = (response: typeof dstackResponse, overrides: Partial<RunnerRegistrationFacts>) =>
    verifyRunnerAttestation({
      evidence: { quote: response.quote as Hex, eventLog: response.event_log },
      registration: registration(bytesOf(response), {
        allowedComposeHashes: () => true,
        ...overrides,
      }),
      policy: pinnedPolicy,
    });

  test("attack: 11 a runner booting an OS image not on the model's allowlist passes attestation", async () => {
    // The model allows only the OS of the dstack 0.6.0 fixture; this real CVM booted another one.
    const verdict = await verify(dstackResponse, { allowedOsImages: new Set([liteOsImage]) });
    expect(statusOf(verdict, "os-image-allowed")?.error?.name).toBe("OsImageNotAllowedError");
    expect(verdict.osImage).toBe(dstackOsImage);
    expect(verdict.ok).toBe(false);
  });

  test("attack: 11 an allowlisted os-image-hash event does not vouch for the OS that wrote it", async () => {
    // The guest OS extends os-image-hash into RTMR3 itself, so only the registers measured before it ran count.
    const verdict = await verify(liteResponse, { allowedOsImages: new Set([liteOsImageHashEvent]) });
    expect(statusOf(verdict, "rtmr3-replay")?.status).toBe("pass");
    expect(verdict.osImageHash).toBe(liteOsImageHashEvent);
    expect(statusOf(verdict, "os-image-allowed")?.error?.name).toBe("OsImageNotAllowedError");
  });

  test("each real dstack quote passes with its own OS measurement allowlisted, through a callback too", async () => {
    const asked: Hex[] = [];
    const lite = await verify(liteResponse, {
      allowedOsImages: (osImage) => {
        asked.push(osImage);
        return osImage === liteOsImage;
      },
    });
    expect(asked).toEqual([liteOsImage]);
    expect(statusOf(lite, "os-image-allowed")?.status).toBe("pass");
    const dstack = await verify(dstackResponse, { allowedOsImages: [dstackOsImage] });
    expect(statusOf(dstack, "os-image-allowed")?.detail).toBe(`OS image ${dstackOsImage} is allowed`);
    // No os-image-hash event: this CVM used a local key provider, not a KMS.
    expect(dstack.osImageHash).toBeUndefined();
  });

  test("attack: 11 an allowlist callback answering a truthy non-boolean does not allow an OS", async () => {
    const verdict = await verify(dstackResponse, {
      allowedOsImages: (() => 1) as unknown as () => boolean,
    });
    expect(statusOf(verdict, "os-image-allowed")?.error?.name).toBe("OsImageNotAllowedError");
  });
});
