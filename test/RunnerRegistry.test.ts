import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runnerRegistryAbi } from "@teetee/contracts/abi";
import {
  deactivateRunner,
  decodeContractError,
  getContributorRunners,
  getFreeStake,
  getQuoteVerifier,
  getRefreshDigest,
  getRegistrationDigest,
  getReportDataCommitment,
  getRouteContributors,
  getRunner,
  getRunnerNonce,
  getRunners,
  hashAttestationRefresh,
  hashRunnerConsent,
  isActiveContributor,
  refreshAttestation,
  registerRunner,
  setEndpoint,
  setModelActive,
  setQuoteVerifier,
  signAttestationRefresh,
  signRunnerConsent,
} from "@teetee/sdk/contracts";
import {
  concat,
  getAddress,
  type Hex,
  hashDomain,
  keccak256,
  parseAbi,
  toFunctionSelector,
  toHex,
  zeroAddress,
  zeroHash,
} from "viem";
import {
  COMPOSE_HASH,
  expectRevert,
  FAR_FUTURE,
  fixtures,
  type Market,
  MIN_STAKE,
  networkHelpers,
  newRunnerKey,
  OS_IMAGE,
  registration,
  send,
  stakeFor,
  viem,
} from "./helpers/fixture.js";

const mockQuoteVerifierAbi = parseAbi([
  "function setResult(bytes reportData, bytes32 composeHash, bytes32 osImage)",
  "function setRejecting(bool rejecting)",
  "function verifications() view returns (uint256)",
]);

/** A one-shard market whose runner registry verifies quotes with a `MockQuoteVerifier`. */
async function verifierFixture() {
  const m = await fixtures.market1();
  const { address } = await viem.deployContract("MockQuoteVerifier");
  await send(m.publicClient, setQuoteVerifier(m.admin, { contracts: m.contracts, verifier: address }));
  const write = (
    functionName: "setResult" | "setRejecting",
    args: readonly [Hex, Hex, Hex] | readonly [boolean],
  ) =>
    send(
      m.publicClient,
      m.admin.writeContract({ address, abi: mockQuoteVerifierAbi, functionName, args } as Parameters<
        typeof m.admin.writeContract
      >[0]),
    );
  const verifier = {
    address,
    setResult: (reportData: Hex, composeHash: Hex, osImage: Hex = OS_IMAGE) =>
      write("setResult", [reportData, composeHash, osImage]),
    setRejecting: (rejecting: boolean) => write("setRejecting", [rejecting]),
    verifications: () =>
      m.publicClient.readContract({ address, abi: mockQuoteVerifierAbi, functionName: "verifications" }),
  };
  return { ...m, verifier };
}

/** Expects the `MockQuoteVerifier`'s own rejection to bubble up through the registry. */
async function expectVerifierRejection(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => assert.fail("expected the quote verifier to reject"),
    (e: unknown) => e,
  );
  const decoded = decodeContractError(error);
  assert.equal(decoded.name, "Unknown");
  assert.equal(decoded.data?.slice(0, 10), toFunctionSelector("MockQuoteVerifierRejected(bytes32)"));
}

/** 64 bytes of report data starting with `head`, as a TDX quote carries. */
function reportData(head: Hex): Hex {
  return concat([head, keccak256(toHex("report data tail"))]);
}

/** A fresh runner's registration whose quote hash is the hash of a real (mock) quote. */
async function quotedRegistration(f: Market, shardIndex: number) {
  const runner = newRunnerKey(f);
  const quote = toHex(`quote of ${runner.address}`);
  const reg = { ...registration(runner, f.model.modelId, shardIndex), quoteHash: keccak256(quote) };
  const commitment = await getReportDataCommitment(f.publicClient, {
    contracts: f.contracts,
    modelId: reg.modelId,
    shardIndex,
    runner: runner.address,
  });
  return { runner, reg, quote, commitment };
}

describe("RunnerRegistry", () => {
  it("test_registerRunner_storesRunnerLocksStakeAndMatchesSdkDigests", async () => {
    const f = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: f.contracts };
    const runner = f.runners[1]!;
    const contributor = getAddress(f.contributors[1]!.account.address);
    const info = await getRunner(f.publicClient, { ...c, runner: runner.address });
    assert.equal(info.contributor, contributor);
    assert.equal(info.active, true);
    assert.equal(info.shardIndex, 1);
    assert.equal(info.lockedStake, MIN_STAKE);
    assert.equal(info.publicKey, runner.publicKey);
    assert.equal(await getFreeStake(f.publicClient, { ...c, staker: contributor }), 0n);
    assert.equal(await getRunnerNonce(f.publicClient, { ...c, runner: runner.address }), 1n);
    const page = await getRunners(f.publicClient, { ...c, modelId: f.model.modelId, shardIndex: 1 });
    assert.equal(page.total, 1n);
    assert.equal(page.runners[0]!.runner, runner.address);
    assert.equal((await getContributorRunners(f.publicClient, { ...c, contributor })).total, 1n);
    assert.equal(
      await isActiveContributor(f.publicClient, { ...c, modelId: f.model.modelId, account: contributor }),
      true,
    );
    assert.deepEqual(
      await getRouteContributors(f.publicClient, { ...c, modelId: f.model.modelId, route: f.route }),
      [getAddress(f.contributors[0]!.account.address), contributor],
    );
    const chainId = f.deployment.chainId;
    const reg = registration(runner, f.model.modelId, 1);
    assert.equal(
      await getRegistrationDigest(f.publicClient, { ...c, registration: reg, contributor, nonce: 7n }),
      hashRunnerConsent({
        registration: reg,
        contributor,
        nonce: 7n,
        chainId,
        runnerRegistry: f.contracts.runnerRegistry,
      }),
    );
    const q = keccak256(toHex("q"));
    assert.equal(
      await getRefreshDigest(f.publicClient, {
        ...c,
        runner: runner.address,
        quoteHash: q,
        composeHash: COMPOSE_HASH,
        osImage: OS_IMAGE,
        nonce: 3n,
        deadline: 9n,
      }),
      hashAttestationRefresh({
        runner: runner.address,
        quoteHash: q,
        composeHash: COMPOSE_HASH,
        osImage: OS_IMAGE,
        nonce: 3n,
        deadline: 9n,
        chainId,
        runnerRegistry: f.contracts.runnerRegistry,
      }),
    );
    const commitment = await getReportDataCommitment(f.publicClient, {
      ...c,
      modelId: f.model.modelId,
      shardIndex: 1,
      runner: runner.address,
    });
    assert.match(commitment, /^0x[0-9a-f]{64}$/);
  });

  it("test_refreshAttestation_setEndpoint_deactivate_reactivate", async () => {
    const f = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: f.contracts };
    const runner = f.runners[0]!;
    const alice = f.contributors[0]!;
    const quoteHash = keccak256(toHex("fresh quote"));
    const consent = await signAttestationRefresh(runner.client, {
      ...c,
      quoteHash,
      composeHash: COMPOSE_HASH,
      osImage: OS_IMAGE,
      deadline: FAR_FUTURE,
    });
    await send(
      f.publicClient,
      refreshAttestation(f.stranger, {
        ...c,
        runner: runner.address,
        quoteHash,
        composeHash: COMPOSE_HASH,
        osImage: OS_IMAGE,
        deadline: FAR_FUTURE,
        consent,
      }),
    );
    assert.equal((await getRunner(f.publicClient, { ...c, runner: runner.address })).quoteHash, quoteHash);
    await expectRevert(
      refreshAttestation(f.stranger, {
        ...c,
        runner: runner.address,
        quoteHash,
        composeHash: COMPOSE_HASH,
        osImage: OS_IMAGE,
        deadline: FAR_FUTURE,
        consent,
      }),
      "RunnerInvalidConsent",
    );
    await send(
      f.publicClient,
      setEndpoint(alice, { ...c, runner: runner.address, endpoint: "https://new.example" }),
    );
    assert.equal(
      (await getRunner(f.publicClient, { ...c, runner: runner.address })).endpoint,
      "https://new.example",
    );
    await send(f.publicClient, deactivateRunner(alice, { ...c, runner: runner.address }));
    assert.equal(await getFreeStake(f.publicClient, { ...c, staker: alice.account.address }), MIN_STAKE);
    assert.equal(
      await isActiveContributor(f.publicClient, {
        ...c,
        modelId: f.model.modelId,
        account: alice.account.address,
      }),
      false,
    );
    const reg = registration(runner, f.model.modelId, 0);
    const again = await signRunnerConsent(runner.client, {
      ...c,
      registration: reg,
      contributor: alice.account.address,
    });
    await send(f.publicClient, registerRunner(alice, { ...c, registration: reg, consent: again }));
    assert.equal((await getRunner(f.publicClient, { ...c, runner: runner.address })).active, true);
    await send(f.publicClient, deactivateRunner(f.admin, { ...c, runner: runner.address }));
    await send(f.publicClient, setQuoteVerifier(f.admin, { ...c, verifier: f.stranger.account.address }));
    assert.equal(await getQuoteVerifier(f.publicClient, c), getAddress(f.stranger.account.address));
    await send(f.publicClient, setQuoteVerifier(f.admin, { ...c, verifier: zeroAddress }));
  });

  describe("reverts", () => {
    it("test_registerRunner_reverts", async () => {
      const f = await networkHelpers.loadFixture(fixtures.market1);
      const c = { contracts: f.contracts };
      const alice = f.contributors[0]!;
      const bob = f.contributors[1]!;
      const modelId = f.model.modelId;
      const existing = f.runners[0]!;
      const sign = (reg: ReturnType<typeof registration>, contributor = bob.account.address) =>
        signRunnerConsent(existing.client, { ...c, registration: reg, contributor });
      // already active
      const regA = registration(existing, modelId, 0);
      await expectRevert(
        registerRunner(alice, { ...c, registration: regA, consent: await sign(regA, alice.account.address) }),
        "RunnerAlreadyActive",
      );
      // someone else's runner
      await send(f.publicClient, deactivateRunner(alice, { ...c, runner: existing.address }));
      await expectRevert(
        registerRunner(bob, { ...c, registration: regA, consent: await sign(regA) }),
        "RunnerContributorMismatch",
        [existing.address, alice.account.address],
      );
      const fresh = newRunnerKey(f);
      const reg = registration(fresh, modelId, 0);
      const signFresh = (r: typeof reg) =>
        signRunnerConsent(fresh.client, { ...c, registration: r, contributor: bob.account.address });
      await expectRevert(
        registerRunner(bob, { ...c, registration: { ...reg, deadline: 1n }, consent: "0x" }),
        "RunnerConsentExpired",
        [1n],
      );
      await expectRevert(
        registerRunner(bob, { ...c, registration: { ...reg, shardIndex: 3 }, consent: "0x" }),
        "RunnerInvalidShard",
        [modelId, 3n],
      );
      const badCompose = keccak256(toHex("bad compose"));
      await expectRevert(
        registerRunner(bob, { ...c, registration: { ...reg, composeHash: badCompose }, consent: "0x" }),
        "RunnerComposeHashNotAllowed",
        [modelId, badCompose],
      );
      await expectRevert(
        registerRunner(bob, { ...c, registration: { ...reg, publicKey: existing.publicKey }, consent: "0x" }),
        "RunnerPublicKeyMismatch",
        [fresh.address],
      );
      const forged = await signRunnerConsent(bob, {
        ...c,
        registration: reg,
        contributor: bob.account.address,
        nonce: 0n,
      });
      await expectRevert(
        registerRunner(bob, { ...c, registration: reg, consent: forged }),
        "RunnerInvalidConsent",
        [fresh.address, bob.account.address],
      );
      await expectRevert(
        registerRunner(bob, { ...c, registration: reg, consent: await signFresh(reg) }),
        "StakingInsufficientFreeStake",
      );
      await send(f.publicClient, setModelActive(f.admin, { ...c, modelId, active: false }));
      await expectRevert(
        registerRunner(bob, { ...c, registration: reg, consent: await signFresh(reg) }),
        "RunnerModelInactive",
        [modelId],
      );
      await expectRevert(
        registerRunner(bob, {
          ...c,
          registration: { ...reg, modelId: keccak256(toHex("none")) },
          consent: "0x",
        }),
        "ModelNotFound",
      );
    });

    it("test_management_reverts", async () => {
      const f = await networkHelpers.loadFixture(fixtures.market2);
      const c = { contracts: f.contracts };
      const runner = f.runners[0]!;
      const nobody = newRunnerKey(f).address;
      await expectRevert(
        setEndpoint(f.stranger, { ...c, runner: runner.address, endpoint: "x" }),
        "RunnerNotAuthorized",
        [runner.address, f.stranger.account.address],
      );
      await expectRevert(setEndpoint(f.stranger, { ...c, runner: nobody, endpoint: "x" }), "RunnerNotFound", [
        nobody,
      ]);
      await expectRevert(
        deactivateRunner(f.stranger, { ...c, runner: runner.address }),
        "RunnerNotAuthorized",
      );
      await expectRevert(deactivateRunner(f.stranger, { ...c, runner: nobody }), "RunnerNotFound");
      await expectRevert(getRunner(f.publicClient, { ...c, runner: nobody }), "RunnerNotFound");
      await expectRevert(
        setQuoteVerifier(f.stranger, { ...c, verifier: nobody }),
        "AccessControlUnauthorizedAccount",
      );
      const composeHash = keccak256(toHex("not allowed"));
      await expectRevert(
        refreshAttestation(f.stranger, {
          ...c,
          runner: runner.address,
          quoteHash: composeHash,
          composeHash,
          osImage: OS_IMAGE,
          deadline: FAR_FUTURE,
          consent: "0x",
        }),
        "RunnerComposeHashNotAllowed",
      );
      await expectRevert(
        refreshAttestation(f.stranger, {
          ...c,
          runner: runner.address,
          quoteHash: composeHash,
          composeHash,
          osImage: OS_IMAGE,
          deadline: 1n,
          consent: "0x",
        }),
        "RunnerConsentExpired",
      );
      await send(f.publicClient, deactivateRunner(f.contributors[0]!, { ...c, runner: runner.address }));
      await expectRevert(
        deactivateRunner(f.contributors[0]!, { ...c, runner: runner.address }),
        "RunnerNotActive",
        [runner.address],
      );
      await expectRevert(
        refreshAttestation(f.stranger, {
          ...c,
          runner: runner.address,
          quoteHash: composeHash,
          composeHash: COMPOSE_HASH,
          osImage: OS_IMAGE,
          deadline: FAR_FUTURE,
          consent: "0x",
        }),
        "RunnerNotActive",
      );
      const modelId = f.model.modelId;
      await expectRevert(
        getRouteContributors(f.publicClient, { ...c, modelId, route: [f.route[1]!, f.route[0]!] }),
        "RunnerRouteInvalid",
        [0n, f.route[1]],
      );
      await expectRevert(
        getRouteContributors(f.publicClient, { ...c, modelId, route: [f.route[0]!] }),
        "RunnerRouteLengthMismatch",
        [2n, 1n],
      );
    });

    it("test_quoteVerifier_checksQuoteHash", async () => {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const c = { contracts: f.contracts };
      const bob = f.contributors[1]!;
      await stakeFor(f, bob);
      const fresh = newRunnerKey(f);
      const reg = registration(fresh, f.model.modelId, 0);
      const consent = await signRunnerConsent(fresh.client, {
        ...c,
        registration: reg,
        contributor: bob.account.address,
      });
      // the SDK's default empty quote does not hash to the signed quote hash
      await expectRevert(
        registerRunner(bob, { ...c, registration: reg, consent }),
        "RunnerQuoteHashMismatch",
        [reg.quoteHash, keccak256("0x")],
      );
      await expectRevert(
        registerRunner(bob, { ...c, registration: reg, quote: "0x1234", consent }),
        "RunnerQuoteHashMismatch",
        [reg.quoteHash, keccak256("0x1234")],
      );
      assert.equal(await f.verifier.verifications(), 0n);
    });

    it("test_quoteVerifier_registerRunner_reverts", async () => {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const c = { contracts: f.contracts };
      const bob = f.contributors[1]!;
      await stakeFor(f, bob);
      const { runner, reg, quote, commitment } = await quotedRegistration(f, 0);
      const consent = await signRunnerConsent(runner.client, {
        ...c,
        registration: reg,
        contributor: bob.account.address,
      });
      const attempt = () => registerRunner(bob, { ...c, registration: reg, quote, consent });
      // the quote verifies but carries another runner's commitment
      const other = keccak256(toHex("someone else's commitment"));
      await f.verifier.setResult(reportData(other), COMPOSE_HASH);
      await expectRevert(attempt(), "RunnerReportDataMismatch", [commitment, other]);
      // report data shorter than the 32-byte commitment reads as zero
      await f.verifier.setResult(commitment.slice(0, 42) as Hex, COMPOSE_HASH);
      await expectRevert(attempt(), "RunnerReportDataMismatch", [commitment, zeroHash]);
      // the quote measured another compose hash than the one submitted
      const measured = keccak256(toHex("compose: something else"));
      await f.verifier.setResult(reportData(commitment), measured);
      await expectRevert(attempt(), "RunnerComposeHashMismatch", [COMPOSE_HASH, measured]);
      // the verifier rejects the quote: its revert bubbles up
      await f.verifier.setRejecting(true);
      await expectVerifierRejection(attempt());
      assert.equal(await f.verifier.verifications(), 0n);
      assert.equal(await getRunnerNonce(f.publicClient, { ...c, runner: runner.address }), 0n);
    });

    it("test_quoteVerifier_refreshAttestation_reverts", async () => {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const c = { contracts: f.contracts };
      const runner = f.runners[0]!;
      const commitment = await getReportDataCommitment(f.publicClient, {
        ...c,
        modelId: f.model.modelId,
        shardIndex: 0,
        runner: runner.address,
      });
      const quote = toHex(`refreshed quote of ${runner.address}`);
      const quoteHash = keccak256(quote);
      const consent = await signAttestationRefresh(runner.client, {
        ...c,
        quoteHash,
        composeHash: COMPOSE_HASH,
        osImage: OS_IMAGE,
        deadline: FAR_FUTURE,
      });
      const attempt = (q: Hex = quote) =>
        refreshAttestation(f.stranger, {
          ...c,
          runner: runner.address,
          quoteHash,
          composeHash: COMPOSE_HASH,
          osImage: OS_IMAGE,
          deadline: FAR_FUTURE,
          quote: q,
          consent,
        });
      await expectRevert(attempt("0xbeef"), "RunnerQuoteHashMismatch", [quoteHash, keccak256("0xbeef")]);
      const other = keccak256(toHex("another commitment"));
      await f.verifier.setResult(reportData(other), COMPOSE_HASH);
      await expectRevert(attempt(), "RunnerReportDataMismatch", [commitment, other]);
      const measured = keccak256(toHex("compose: something else"));
      await f.verifier.setResult(reportData(commitment), measured);
      await expectRevert(attempt(), "RunnerComposeHashMismatch", [COMPOSE_HASH, measured]);
      await f.verifier.setRejecting(true);
      await expectVerifierRejection(attempt());
      // nothing was recorded and the consent is still unused
      const info = await getRunner(f.publicClient, { ...c, runner: runner.address });
      assert.notEqual(info.quoteHash, quoteHash);
      assert.equal(await getRunnerNonce(f.publicClient, { ...c, runner: runner.address }), 1n);
    });
  });

  describe("with an on-chain quote verifier", () => {
    it("test_quoteVerifier_registerAndRefresh_succeed", async () => {
      const f = await networkHelpers.loadFixture(verifierFixture);
      const c = { contracts: f.contracts };
      assert.equal(await getQuoteVerifier(f.publicClient, c), getAddress(f.verifier.address));
      const bob = f.contributors[1]!;
      await stakeFor(f, bob);
      const { runner, reg, quote, commitment } = await quotedRegistration(f, 0);
      // report data is 64 bytes: the commitment, then anything
      await f.verifier.setResult(reportData(commitment), COMPOSE_HASH);
      const consent = await signRunnerConsent(runner.client, {
        ...c,
        registration: reg,
        contributor: bob.account.address,
      });
      await send(f.publicClient, registerRunner(bob, { ...c, registration: reg, quote, consent }));
      assert.equal(await f.verifier.verifications(), 1n);
      let info = await getRunner(f.publicClient, { ...c, runner: runner.address });
      assert.equal(info.active, true);
      assert.equal(info.contributor, getAddress(bob.account.address));
      assert.equal(info.quoteHash, keccak256(quote));
      assert.equal(info.composeHash, COMPOSE_HASH);
      assert.equal(info.lockedStake, MIN_STAKE);

      await networkHelpers.time.increase(600);
      const fresh = toHex(`second quote of ${runner.address}`);
      const quoteHash = keccak256(fresh);
      const refresh = await signAttestationRefresh(runner.client, {
        ...c,
        quoteHash,
        composeHash: COMPOSE_HASH,
        osImage: OS_IMAGE,
        deadline: FAR_FUTURE,
      });
      await send(
        f.publicClient,
        refreshAttestation(f.stranger, {
          ...c,
          runner: runner.address,
          quoteHash,
          composeHash: COMPOSE_HASH,
          osImage: OS_IMAGE,
          deadline: FAR_FUTURE,
          quote: fresh,
          consent: refresh,
        }),
      );
      assert.equal(await f.verifier.verifications(), 2n);
      const before = info.attestedAt;
      info = await getRunner(f.publicClient, { ...c, runner: runner.address });
      assert.equal(info.quoteHash, quoteHash);
      assert.ok(info.attestedAt > before);
      assert.equal(await getRunnerNonce(f.publicClient, { ...c, runner: runner.address }), 2n);
    });
  });

  it("test_domainSeparator_matchesEip712Domain", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    assert.equal(
      await f.publicClient.readContract({
        address: f.contracts.runnerRegistry,
        abi: runnerRegistryAbi,
        functionName: "DOMAIN_SEPARATOR",
      }),
      hashDomain({
        domain: {
          name: "TeeTee RunnerRegistry",
          version: "1",
          chainId: BigInt(f.deployment.chainId),
          verifyingContract: f.contracts.runnerRegistry,
        },
        types: {
          EIP712Domain: [
            { name: "name", type: "string" },
            { name: "version", type: "string" },
            { name: "chainId", type: "uint256" },
            { name: "verifyingContract", type: "address" },
          ],
        },
      }),
    );
  });
});
