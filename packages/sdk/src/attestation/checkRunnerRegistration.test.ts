import { type LocalChain, startLocalChain } from "@teetee/devnet";
import { createPaymentMarket, type PaymentMarket } from "@teetee/devnet/market";
import { bytesToHex, createWalletClient, type Hex, http, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { signAttestationRefresh } from "../contracts/runnerConsent/signAttestationRefresh.js";
import { signRunnerConsent } from "../contracts/runnerConsent/signRunnerConsent.js";
import { stake } from "../contracts/staking/stake.js";
import type { RunnerRegistration } from "../contracts/types.js";
import type { RunnerAttestationDocument } from "../protocol/runnerAttestationDocument.js";
import type { PrintedRunnerCall } from "../protocol/runnerRegistrationDocument.js";
import { checkRunnerRegistration, type RegistrationCheck } from "./checkRunnerRegistration.js";
import { signDevQuote } from "./devQuote.js";
import { DEV_QUOTE_DEFAULT_SIGNER_PRIVATE_KEY } from "./devQuoteSigner.js";
import { osImageMeasurement } from "./osImage.js";
import { computeQuoteHash } from "./quoteHash.js";
import { decodeTdReport, TD_REPORT_LENGTH } from "./tdReport.js";

// The consent and chain checks on a real chain with the model registered; the quote is a development quote whose
// report data commits to nothing, so the attestation checks fail here (they are verifyRunnerAttestation's own,
// tested with it) and the tests read the other checks by id.
let local: LocalChain;
let market: PaymentMarket;
const runnerKey = privateKeyToAccount(generatePrivateKey());
const tdReport = decodeTdReport(new Uint8Array(TD_REPORT_LENGTH));
const quoteBytes = signDevQuote({ tdReport, signerPrivateKey: DEV_QUOTE_DEFAULT_SIGNER_PRIVATE_KEY });
const quote = bytesToHex(quoteBytes);
let document: RunnerAttestationDocument;
let honest: Extract<PrintedRunnerCall, { functionName: "registerRunner" }>;
const now = BigInt(Math.floor(Date.now() / 1000));

beforeAll(async () => {
  local = await startLocalChain();
  market = await createPaymentMarket(local, { shardCount: 2, registerRunners: false });
  const shard = market.model.shards[1]!;
  document = {
    version: 1,
    runner: runnerKey.address,
    publicKey: `0x${runnerKey.publicKey.slice(4)}` as Hex,
    modelId: market.model.modelId,
    shardIndex: 1,
    weightsHash: shard.weightsHash,
    chainId: local.chainId,
    runnerRegistry: market.deployment.runnerRegistry,
    quote,
    quoteHash: computeQuoteHash(quoteBytes),
    eventLog: "[]",
    reportData: `0x${"00".repeat(64)}`,
    reportDataPreimage: undefined as never,
    manifest: {},
  } as RunnerAttestationDocument;
  honest = await signedCall();
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

const contributor = () => market.contributors[1]!;

async function signedCall(changes: Partial<RunnerRegistration> = {}, signer = runnerKey) {
  const registration = {
    runner: document.runner,
    modelId: document.modelId,
    shardIndex: document.shardIndex,
    endpoint: "http://127.0.0.1:1",
    publicKey: document.publicKey,
    quoteHash: document.quoteHash,
    composeHash: market.model.composeHashes[0]!,
    osImage: osImageMeasurement(tdReport),
    deadline: now + 3600n,
    ...changes,
  };
  const client = createWalletClient({ account: signer, chain: market.chain, transport: http(local.rpcUrl) });
  const consent = await signRunnerConsent(client, {
    contracts: market.deployment,
    registration,
    contributor: contributor().account.address,
  });
  return {
    contract: market.deployment.runnerRegistry,
    functionName: "registerRunner" as const,
    args: { registration, consent, contributor: contributor().account.address },
  };
}

async function check(call: PrintedRunnerCall | undefined, changes: Partial<RunnerAttestationDocument> = {}) {
  const { checks, ok } = await checkRunnerRegistration(market.publicClient, {
    chainId: local.chainId,
    contracts: market.deployment,
    document: { ...document, ...changes },
    call,
    contributor: contributor().account.address,
    now,
  });
  const byId = (id: string): RegistrationCheck => {
    const found = checks.find((c) => c.id === id);
    if (found === undefined) throw new Error(`no check ${id} in ${checks.map((c) => c.id).join(", ")}`);
    return found;
  };
  return { checks, ok, byId };
}

const consentIds = [
  "consent-matches",
  "consent-registry",
  "consent-contributor",
  "consent-signature",
  "consent-deadline",
];

describe("checkRunnerRegistration", () => {
  test("an honest consent passes every chain and consent check, in order; the fake quote fails attestation", async () => {
    const { checks, ok, byId } = await check(honest);
    expect(ok).toBe(false);
    for (const id of ["target", "model", "weights", ...consentIds]) expect(byId(id).status).toBe("pass");
    expect(
      checks
        .filter((c) => c.status === "fail")
        .every((c) => c.id.startsWith("attestation:") || c.id === "free-stake"),
    ).toBe(true);
    const ids = checks.map((c) => c.id);
    expect(ids.slice(0, 3)).toEqual(["target", "model", "weights"]);
    expect(ids.indexOf("consent-matches")).toBeGreaterThan(
      ids.lastIndexOf(ids.find((id) => id.startsWith("attestation:"))!),
    );
    expect(ids.at(-1)).toBe("free-stake");
  });

  test.each([
    ["runner", { runner: privateKeyToAccount(generatePrivateKey()).address }, /for runner/],
    ["shard", { shardIndex: 0 }, /another model or shard/],
    ["public key", { publicKey: `0x${"11".repeat(64)}` as Hex }, /another public key/],
    ["quote", { quoteHash: keccak256(toHex("other quote")) }, /another quote/],
    ["OS image", { osImage: keccak256(toHex("other os")) }, /another OS image/],
  ])(
    "a consent naming another %s than the attestation fails consent-matches",
    async (_what, change, message) => {
      const { byId } = await check(await signedCall(change));
      expect(byId("consent-matches")).toMatchObject({ status: "fail", refusal: "verification" });
      expect(byId("consent-matches").detail).toMatch(message);
    },
  );

  test("a compose hash other than the TEE's measured one fails, when the runner reports one", async () => {
    const { byId } = await check(honest, { composeHash: keccak256(toHex("measured compose")) });
    expect(byId("consent-matches").detail).toMatch(/another compose hash/);
  });

  test("a consent for another registry, another contributor, by another key, or expired fails its own check", async () => {
    const elsewhere = await check({ ...honest, contract: market.deployment.paymentEscrow });
    expect(elsewhere.byId("consent-registry")).toMatchObject({ status: "fail", refusal: "verification" });

    const someoneElse = market.contributors[0]!.account.address;
    const forOther = await check({ ...honest, args: { ...honest.args, contributor: someoneElse } });
    expect(forOther.byId("consent-contributor")).toMatchObject({ status: "fail", refusal: "config" });
    expect(forOther.byId("consent-contributor").detail).toMatch(/consent is for contributor/);

    const forged = await check(await signedCall({}, privateKeyToAccount(generatePrivateKey())));
    expect(forged.byId("consent-signature")).toMatchObject({ status: "fail", refusal: "verification" });

    const stale = await check(await signedCall({ deadline: now }));
    expect(stale.byId("consent-deadline")).toMatchObject({
      status: "fail",
      errorName: "RunnerConsentExpired",
    });
    expect(stale.byId("consent-signature").status).toBe("pass");
  });

  test("no consent at all is a configuration refusal with the contributor's address in the hint", async () => {
    for (const call of [undefined, { ...honest, args: { registration: honest.args.registration } }]) {
      const { byId } = await check(call as PrintedRunnerCall | undefined);
      expect(byId("consent-signature")).toMatchObject({ status: "fail", refusal: "config" });
      expect(byId("consent-signature").hint).toContain(contributor().account.address);
    }
  });

  test("the attestation of another chain, model, shard or weights is refused before the consent is read", async () => {
    expect((await check(honest, { chainId: 1 })).byId("target").status).toBe("fail");
    const unknown = await check(honest, { modelId: keccak256(toHex("no such model")) });
    expect(unknown.checks.map((c) => c.id)).toEqual(["target", "model"]);
    expect(unknown.byId("model")).toMatchObject({ status: "fail", errorName: "ModelNotFound" });
    const beyond = await check(honest, { shardIndex: 2 });
    expect(beyond.byId("shard")).toMatchObject({ status: "fail", errorName: "RunnerInvalidShard" });
    const weights = await check(honest, { weightsHash: keccak256(toHex("other weights")) });
    expect(weights.byId("weights")).toMatchObject({ status: "fail", refusal: "verification" });
  });

  test("free stake: refused with the figures until the contributor stakes the model's minimum", async () => {
    const before = (await check(honest)).byId("free-stake");
    expect(before).toMatchObject({
      status: "fail",
      errorName: "StakingInsufficientFreeStake",
      amounts: { needed: market.model.minStake, available: 0n },
    });
    await market.send(stake(contributor(), { contracts: market.deployment, amount: market.model.minStake }));
    expect((await check(honest)).byId("free-stake").status).toBe("pass");
  });

  test("an attestation refresh is checked against the runner's record and needs no stake check", async () => {
    const client = createWalletClient({
      account: runnerKey,
      chain: market.chain,
      transport: http(local.rpcUrl),
    });
    const args = {
      runner: runnerKey.address,
      quoteHash: document.quoteHash,
      composeHash: market.model.composeHashes[0]!,
      osImage: osImageMeasurement(tdReport),
      deadline: now + 600n,
    };
    const consent = await signAttestationRefresh(client, { contracts: market.deployment, ...args });
    const refresh = {
      contract: market.deployment.runnerRegistry,
      functionName: "refreshAttestation" as const,
      args: { ...args, consent },
    };
    const { checks, byId } = await check(refresh);
    expect(checks.some((c) => c.id === "free-stake" || c.id === "consent-contributor")).toBe(false);
    for (const id of ["consent-matches", "consent-registry", "consent-signature", "consent-deadline"])
      expect(byId(id).status).toBe("pass");
    const tampered = await check({ ...refresh, args: { ...refresh.args, quoteHash: keccak256(toHex("x")) } });
    expect(tampered.byId("consent-matches").detail).toMatch(/another quote/);
  });
});
