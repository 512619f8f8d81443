import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { modelRegistryAbi, paymentEscrowAbi, runnerRegistryAbi, stakingAbi } from "@teetee/contracts/abi";
import {
  acceptCuratorship,
  allocate,
  channelId,
  deactivateRunner,
  deposit,
  getChannelPaid,
  getEarnings,
  getEscrowAccount,
  getModel,
  getModelIds,
  getRunners,
  getStake,
  getStakingTreasuryBalance,
  grantRole,
  hasRole,
  isActiveContributor,
  isRoutable,
  redeemVoucher,
  refreshAttestation,
  registerModel,
  registerRunner,
  requestUnstake,
  requestWithdrawal,
  setComposeHashAllowed,
  setModelActive,
  setPrices,
  signAttestationRefresh,
  signRunnerConsent,
  signVoucher,
  slash,
  stake,
  teeTeeRoles,
  transferCuratorship,
  withdraw,
  withdrawEarnings,
  withdrawEscrowTreasury,
  withdrawStake,
} from "@teetee/sdk/contracts";
import { getAddress, hexToBytes, keccak256, pad, parseEventLogs, toHex, zeroAddress } from "viem";
import {
  ADMIN_DELAY,
  ATTESTATION_TTL,
  COMPOSE_HASH,
  expectAccountingInvariant,
  expectRevert,
  FAR_FUTURE,
  fixtures,
  MIN_STAKE,
  modelParams,
  networkHelpers,
  newRunnerKey,
  registerTestModel,
  registerTestRunner,
  registration,
  send,
  signedVoucher,
  stakeFor,
  THAW_PERIOD,
  UNBONDING_PERIOD,
  viem,
  voucherFor,
  type Wallet,
} from "./helpers/fixture.js";

describe("attacks from the original prototype", () => {
  it("attack: 1 a stranger cannot edit a model or withdraw its revenue", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts, modelId: m.model.modelId };
    await expectRevert(
      transferCuratorship(m.stranger, { ...c, newCurator: m.stranger.account.address }),
      "ModelNotCurator",
    );
    await expectRevert(
      setPrices(m.stranger, { ...c, inputPricePerMTok: 0n, outputPricePerMTok: 0n }),
      "ModelNotCurator",
    );
    await send(
      m.publicClient,
      redeemVoucher(m.stranger, { contracts: m.contracts, ...(await signedVoucher(m, 10_000n)) }),
    );
    await expectRevert(withdrawEarnings(m.stranger, { contracts: m.contracts }), "EscrowNothingToWithdraw");
    // withdrawing the treasury pays the treasury, never the caller
    const receipt = await send(
      m.publicClient,
      withdrawEscrowTreasury(m.stranger, { contracts: m.contracts }),
    );
    const [event] = parseEventLogs({
      abi: paymentEscrowAbi,
      logs: receipt.logs,
      eventName: "TreasuryWithdrawn",
    });
    assert.equal(event?.args.to, getAddress(m.treasury.account.address));
  });

  it("attack: 2 nobody can remove a model, and ids never shift", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const second = modelParams(1, "second");
    await send(m.publicClient, registerModel(m.admin, { ...c, model: second }));
    await expectRevert(
      setModelActive(m.stranger, { ...c, modelId: m.model.modelId, active: false }),
      "ModelNotCurator",
    );
    await send(m.publicClient, setModelActive(m.admin, { ...c, modelId: m.model.modelId, active: false }));
    assert.deepEqual((await getModelIds(m.publicClient, c)).ids, [m.model.modelId, second.modelId]);
    assert.equal(
      (await getModel(m.publicClient, { ...c, modelId: m.model.modelId })).curator,
      getAddress(m.admin.account.address),
    );
    assert.equal(
      modelRegistryAbi.some((item) => item.type === "function" && /remove|delete/i.test(item.name)),
      false,
    );
  });

  it("attack: 3 registering a model or a runner needs the role, the stake and the runner's consent", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    await expectRevert(
      registerModel(m.stranger, { ...c, model: modelParams(1, "spam") }),
      "AccessControlUnauthorizedAccount",
    );
    const runner = newRunnerKey(m);
    const reg = registration(runner, m.model.modelId, 0);
    const consent = await signRunnerConsent(runner.client, {
      ...c,
      registration: reg,
      contributor: m.stranger.account.address,
    });
    await expectRevert(
      registerRunner(m.stranger, { ...c, registration: reg, consent }),
      "StakingInsufficientFreeStake",
    );
    // claiming a TEE one does not operate: the consent of a different key
    await stakeFor(m, m.stranger);
    const other = newRunnerKey(m);
    const wrong = await signRunnerConsent(other.client, {
      ...c,
      registration: reg,
      contributor: m.stranger.account.address,
      nonce: 0n,
    });
    await expectRevert(
      registerRunner(m.stranger, { ...c, registration: reg, consent: wrong }),
      "RunnerInvalidConsent",
    );
  });

  it("attack: 4 revenue follows the route and shard shares; a late joiner gets nothing earned before it joined", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const early = await signedVoucher(m, 1_000_000n);
    const late = m.contributors[7]!;
    const lateRunner = await registerTestRunner(m, late, m.model.modelId, 0);
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...early }));
    assert.equal(await getEarnings(m.publicClient, { ...c, contributor: late.account.address }), 0n);
    const shares = m.model.shards.map((s) => BigInt(s.shareBps));
    for (let i = 0; i < 2; i++) {
      assert.equal(
        await getEarnings(m.publicClient, { ...c, contributor: m.contributors[i]!.account.address }),
        (1_000_000n * shares[i]!) / 10_000n,
      );
    }
    // once it serves, it is paid on its own route's channel only
    const route = [lateRunner.address, m.route[1]!];
    const voucher = { ...voucherFor(m, 500_000n), route };
    await send(
      m.publicClient,
      redeemVoucher(m.stranger, { ...c, voucher, signature: await signVoucher(m.buyer, { ...c, voucher }) }),
    );
    assert.equal(
      await getEarnings(m.publicClient, { ...c, contributor: late.account.address }),
      (500_000n * shares[0]!) / 10_000n,
    );
  });

  it("attack: 5 stopping and re-registering cannot withdraw past revenue again", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const alice = m.contributors[0]!;
    const v = await signedVoucher(m, 100_000n);
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...v }));
    await send(m.publicClient, withdrawEarnings(alice, c));
    await send(m.publicClient, deactivateRunner(alice, { ...c, runner: m.route[0]! }));
    const reg = registration(m.runners[0]!, m.model.modelId, 0);
    const consent = await signRunnerConsent(m.runners[0]!.client, {
      ...c,
      registration: reg,
      contributor: alice.account.address,
    });
    await send(m.publicClient, registerRunner(alice, { ...c, registration: reg, consent }));
    await expectRevert(withdrawEarnings(alice, c), "EscrowNothingToWithdraw");
    await expectRevert(redeemVoucher(m.stranger, { ...c, ...v }), "EscrowVoucherNotIncreasing");
  });

  it("attack: 6 payouts are pulled, so a refusing contributor blocks nobody else", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 100_000n)) }));
    // contributor 0 never withdraws (or its wallet would refuse); contributor 1 is paid regardless
    await send(m.publicClient, withdrawEarnings(m.contributors[1]!, c));
    assert.ok(
      (await getEarnings(m.publicClient, { ...c, contributor: m.contributors[0]!.account.address })) > 0n,
    );
    assert.equal(
      paymentEscrowAbi.some(
        (i) => i.type === "function" && i.name === "withdrawEarnings" && i.inputs.length === 0,
      ),
      true,
    );
  });

  it("attack: 7 a short balance pays what it can and keeps the rest owed; no slot pays address(0)", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const buyer2 = m.buyer2;
    await send(m.publicClient, deposit(buyer2, { ...c, amount: 400n }));
    const voucher = { ...voucherFor(m, 1000n), buyer: buyer2.account.address };
    const signature = await signVoucher(buyer2, { ...c, voucher });
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, voucher, signature }));
    assert.equal(await getChannelPaid(m.publicClient, { ...c, channelId: channelId(voucher) }), 400n);
    await send(m.publicClient, deposit(buyer2, { ...c, amount: 1000n }));
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, voucher, signature }));
    assert.equal(await getChannelPaid(m.publicClient, { ...c, channelId: channelId(voucher) }), 1000n);
    const empty = { ...voucherFor(m, 10n), route: [zeroAddress] };
    await expectRevert(
      redeemVoucher(m.stranger, {
        ...c,
        voucher: empty,
        signature: await signVoucher(m.buyer, { ...c, voucher: empty }),
      }),
      "RunnerRouteInvalid",
      [0n, zeroAddress],
    );
  });

  it("attack: 8 usage is signed by the buyer: nobody else can forge it and a withdrawal cannot outrun it", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const voucher = voucherFor(m, 10n ** 9n);
    const forged = await signVoucher(m.contributors[0]!, { ...c, voucher });
    await expectRevert(
      redeemVoucher(m.stranger, { ...c, voucher, signature: forged }),
      "EscrowSignerNotAuthorized",
    );
    const served = await signedVoucher(m, 5000n);
    await send(m.publicClient, requestWithdrawal(m.buyer, { ...c, amount: 10n ** 12n }));
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...served }));
    await networkHelpers.time.increase(THAW_PERIOD);
    await send(m.publicClient, withdraw(m.buyer, c));
    assert.ok(
      (await getEarnings(m.publicClient, { ...c, contributor: m.contributors[0]!.account.address })) > 0n,
    );
  });

  it("attack: 9 each buyer pays only from their own balance", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const voucher = { ...voucherFor(m, 1000n), buyer: m.buyer2.account.address };
    const signature = await signVoucher(m.buyer2, { ...c, voucher });
    await expectRevert(redeemVoucher(m.stranger, { ...c, voucher, signature }), "EscrowInsufficientBalance", [
      getAddress(voucher.buyer),
      1000n,
      0n,
    ]);
  });

  it("attack: 10 spam models do not make redemption or registration cost more", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    // Execution gas only: calldata costs 4 gas per zero byte and 16 per other byte, and each voucher's signature
    // has its own bytes, so the intrinsic calldata cost is taken off before comparing.
    const gasOf = async (session: number) => {
      const v = await signedVoucher(m, 1000n, pad(toHex(session)));
      const receipt = await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...v }));
      const { input } = await m.publicClient.getTransaction({ hash: receipt.transactionHash });
      const calldata = hexToBytes(input).reduce((gas, byte) => gas + (byte === 0 ? 4n : 16n), 0n);
      return receipt.gasUsed - calldata;
    };
    await gasOf(1);
    const before = await gasOf(2);
    for (let i = 0; i < 30; i++)
      await send(m.publicClient, registerModel(m.admin, { ...c, model: modelParams(1, `spam ${i}`) }));
    assert.equal(await gasOf(3), before);
  });

  it("attack: 11 every state change emits an event", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const abi = [...modelRegistryAbi, ...stakingAbi, ...runnerRegistryAbi, ...paymentEscrowAbi];
    const names = async (hash: Promise<`0x${string}`>) =>
      parseEventLogs({ abi, logs: (await send(m.publicClient, hash)).logs }).map((l) => l.eventName);
    const v = await signedVoucher(m, 100_000n);
    assert.deepEqual(await names(redeemVoucher(m.stranger, { ...c, ...v })), [
      "VoucherRedeemed",
      "EarningsCredited",
      "FeeCredited",
    ]);
    assert.deepEqual(await names(withdrawEarnings(m.contributors[0]!, c)), ["EarningsWithdrawn"]);
    assert.ok(
      (await names(deactivateRunner(m.contributors[0]!, { ...c, runner: m.route[0]! }))).includes(
        "RunnerDeactivated",
      ),
    );
    assert.ok(
      (await names(setModelActive(m.admin, { ...c, modelId: m.model.modelId, active: false }))).includes(
        "ModelActiveSet",
      ),
    );
  });
});

describe("attacks from the outside audit (issue 12)", () => {
  const evidence = pad(toHex("evidence"), { size: 32 });

  it("attack: audit-2 a buyer self-deals through its own route, redeems first and withdraws: the honest route is still paid in full", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const buyer = m.buyer.account.address;
    const { balance } = await getEscrowAccount(m.publicClient, { ...c, buyer });
    // The buyer sets aside what the honest route will serve; the runners admit requests against that allocation.
    const owed = 3_000_000n;
    await send(
      m.publicClient,
      allocate(m.buyer, { ...c, modelId: m.model.modelId, route: m.route, amount: owed }),
    );
    const honest = await signedVoucher(m, owed);
    // The buyer runs one runner per shard itself and signs the rest of its balance to that route.
    const own = [
      await registerTestRunner(m, m.buyer, m.model.modelId, 0),
      await registerTestRunner(m, m.buyer, m.model.modelId, 1),
    ];
    const selfDeal = { ...voucherFor(m, balance), route: own.map((r) => r.address) };
    const selfSignature = await signVoucher(m.buyer, { ...c, voucher: selfDeal });
    await send(m.publicClient, redeemVoucher(m.buyer, { ...c, voucher: selfDeal, signature: selfSignature }));
    await send(m.publicClient, withdrawEarnings(m.buyer, c));
    // The honest route's voucher, redeemed last, is paid in full.
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...honest }));
    const channel = channelId({ ...honest.voucher });
    assert.equal(await getChannelPaid(m.publicClient, { ...c, channelId: channel }), owed);
    for (const [i, contributor] of m.contributors.slice(0, 2).entries()) {
      const share = (owed * BigInt(m.model.shards[i]!.shareBps)) / 10_000n;
      assert.equal(
        await getEarnings(m.publicClient, { ...c, contributor: contributor.account.address }),
        share,
      );
    }
    await expectAccountingInvariant(m);
  });

  it("attack: audit-4 a slash cannot leave an active runner unbacked while its contributor withdraws", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const model = await registerTestModel(f, 2);
    const contributor = f.contributors[0]!;
    const c = { contracts: f.contracts };
    const a = await registerTestRunner(f, contributor, model.modelId, 0);
    const b = await registerTestRunner(f, contributor, model.modelId, 1);
    // the evidence is against runner b
    await send(
      f.publicClient,
      slash(f.slasher, {
        ...c,
        staker: contributor.account.address,
        runner: b.address,
        amount: MIN_STAKE,
        evidenceHash: evidence,
      }),
    );
    await send(f.publicClient, deactivateRunner(contributor, { ...c, runner: a.address }));
    await send(f.publicClient, requestUnstake(contributor, { ...c, amount: MIN_STAKE }));
    // b has nothing behind it now: it must not be routable, nor give its contributor free use
    assert.equal(
      await isActiveContributor(f.publicClient, {
        ...c,
        modelId: model.modelId,
        account: contributor.account.address,
      }),
      false,
    );
    assert.equal(await isRoutable(f.publicClient, { ...c, runner: b.address }), false);
    const { runners } = await getRunners(f.publicClient, { ...c, modelId: model.modelId, shardIndex: 1 });
    assert.equal(runners[0]?.backing, 0n);
    assert.equal(runners[0]?.routable, false);
    // anyone may deactivate it, and it releases only its own (empty) lock
    const receipt = await send(f.publicClient, deactivateRunner(f.stranger, { ...c, runner: b.address }));
    const [event] = parseEventLogs({
      abi: runnerRegistryAbi,
      logs: receipt.logs,
      eventName: "RunnerDeactivated",
    });
    assert.equal(event?.args.stakeReleased, 0n);
    assert.deepEqual(await getStake(f.publicClient, { ...c, staker: contributor.account.address }), {
      staked: 0n,
      locked: 0n,
      unbonding: MIN_STAKE,
      unbondingEnd: (await getStake(f.publicClient, { ...c, staker: contributor.account.address }))
        .unbondingEnd,
    });
    await expectAccountingInvariant(f);
  });

  it("attack: audit-5 a slashed, stale or disallowed runner gives its contributor no free use", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const model = await registerTestModel(f, 1);
    const c = { contracts: f.contracts, modelId: model.modelId };
    const [slashed, stale, disallowed] = f.contributors as [Wallet, Wallet, Wallet];
    const free = (w: Wallet) => isActiveContributor(f.publicClient, { ...c, account: w.account.address });
    const slashedRunner = await registerTestRunner(f, slashed, model.modelId, 0);
    await send(
      f.publicClient,
      slash(f.slasher, {
        contracts: f.contracts,
        staker: slashed.account.address,
        runner: slashedRunner.address,
        amount: MIN_STAKE,
        evidenceHash: evidence,
      }),
    );
    assert.equal(await free(slashed), false, "slashed to zero, still free");
    await registerTestRunner(f, stale, model.modelId, 0);
    assert.equal(await free(stale), true);
    await networkHelpers.time.increase(ATTESTATION_TTL + 1n);
    assert.equal(await free(stale), false, "attestation past its TTL, still free");
    const fresh = await registerTestRunner(f, disallowed, model.modelId, 0);
    assert.equal(await free(disallowed), true);
    await send(
      f.publicClient,
      setComposeHashAllowed(f.admin, { ...c, composeHash: COMPOSE_HASH, allowed: false }),
    );
    assert.equal(await free(disallowed), false, "compose hash withdrawn, still free");
    assert.equal(await isRoutable(f.publicClient, { contracts: f.contracts, runner: fresh.address }), false);
    await expectAccountingInvariant(f);
  });

  it("attack: audit-8 a matured withdrawal cannot escape a slash larger than the stake", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const alice = f.contributors[0]!;
    const c = { contracts: f.contracts };
    await send(f.publicClient, stake(alice, { ...c, amount: 500n }));
    await send(f.publicClient, requestUnstake(alice, { ...c, amount: 300n }));
    await networkHelpers.time.increase(UNBONDING_PERIOD);
    const receipt = await send(
      f.publicClient,
      slash(f.slasher, {
        ...c,
        staker: alice.account.address,
        runner: zeroAddress,
        amount: 10_000n,
        evidenceHash: evidence,
      }),
    );
    const [event] = parseEventLogs({ abi: stakingAbi, logs: receipt.logs, eventName: "Slashed" });
    assert.equal(event?.args.requested, 10_000n);
    assert.equal(event?.args.slashed, 500n);
    await expectRevert(withdrawStake(alice, c), "StakingNothingToWithdraw");
    assert.equal(await getStakingTreasuryBalance(f.publicClient, c), 500n);
    await expectAccountingInvariant(f);
  });

  it("attack: audit-8 an unbonding period near 2^64 cannot brick withdrawals", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    await expectRevert(
      viem.deployContract("Staking", [
        f.contracts.token,
        f.admin.account.address,
        ADMIN_DELAY,
        f.treasury.account.address,
        2n ** 64n - 1n,
      ]),
      "StakingUnbondingPeriodTooLong",
    );
    await expectAccountingInvariant(f);
  });

  it("attack: audit-8 curatorship cannot be pushed onto a wrong address in one step", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts, modelId: m.model.modelId };
    await send(
      m.publicClient,
      transferCuratorship(m.admin, { ...c, newCurator: m.stranger.account.address }),
    );
    assert.equal(
      (await getModel(m.publicClient, c)).curator,
      getAddress(m.admin.account.address),
      "curator moved before acceptance",
    );
    await expectRevert(acceptCuratorship(m.buyer, c), "ModelNotPendingCurator");
    await send(m.publicClient, acceptCuratorship(m.stranger, c));
    assert.equal((await getModel(m.publicClient, c)).curator, getAddress(m.stranger.account.address));
    await expectRevert(
      setPrices(m.admin, { ...c, inputPricePerMTok: 0n, outputPricePerMTok: 0n }),
      "ModelNotCurator",
    );
    await expectAccountingInvariant(m);
  });

  it("attack: audit-8 the admin role cannot be handed over in one step", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const { staking, runnerRegistry, modelRegistry, paymentEscrow } = f.contracts;
    for (const address of [staking, runnerRegistry, modelRegistry, paymentEscrow]) {
      await expectRevert(
        grantRole(f.admin, {
          address,
          role: teeTeeRoles.DEFAULT_ADMIN_ROLE,
          member: f.stranger.account.address,
        }),
        "AccessControlEnforcedDefaultAdminRules",
      );
      assert.equal(
        await hasRole(f.publicClient, {
          address,
          role: teeTeeRoles.DEFAULT_ADMIN_ROLE,
          member: f.stranger.account.address,
        }),
        false,
      );
    }
    await expectAccountingInvariant(f);
  });
});

describe("attacks on the booted OS (issue 12, item 11)", () => {
  /** A measurement no curator allowed: the OS (firmware, kernel, initrd) of a TD nobody checked. */
  const uncheckedOs = keccak256(toHex("an OS image nobody checked"));

  it("attack: audit-11 a runner on an OS image the model never allowed registers", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const model = await registerTestModel(f, 1);
    const contributor = f.contributors[0] as Wallet;
    await stakeFor(f, contributor);
    const runner = newRunnerKey(f);
    const reg = { ...registration(runner, model.modelId, 0), osImage: uncheckedOs };
    const c = { contracts: f.contracts };
    const consent = await signRunnerConsent(runner.client, {
      ...c,
      registration: reg,
      contributor: contributor.account.address,
    });
    await expectRevert(
      registerRunner(contributor, { ...c, registration: reg, consent }),
      "RunnerOsImageNotAllowed",
    );
    await expectAccountingInvariant(f);
  });

  it("attack: audit-11 a registered runner refreshes its attestation onto an OS image never allowed", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const runner = m.runners[0]!;
    const refresh = {
      contracts: m.contracts,
      runner: runner.address,
      quoteHash: keccak256(toHex("a quote from the unchecked OS")),
      composeHash: COMPOSE_HASH,
      osImage: uncheckedOs,
      deadline: FAR_FUTURE,
    };
    const consent = await signAttestationRefresh(runner.client, refresh);
    await expectRevert(refreshAttestation(m.stranger, { ...refresh, consent }), "RunnerOsImageNotAllowed");
    await expectAccountingInvariant(m);
  });
});
