import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { paymentEscrowAbi } from "@teetee/contracts/abi";
import {
  allocate,
  allocationId,
  authorizeSigner,
  cancelRelease,
  cancelWithdrawal,
  channelId,
  deposit,
  depositFor,
  depositWithPermit,
  getAllocation,
  getAvailableAllocation,
  getAvailableBalance,
  getChannelPaid,
  getEarnings,
  getEscrowAccount,
  getEscrowTreasury,
  getEscrowTreasuryBalance,
  getSessionSigner,
  getThawPeriod,
  getTokenBalance,
  getTotalDeposits,
  getTotalEarnings,
  getVoucherDigest,
  hashVoucher,
  recoverVoucherSigner,
  redeemVoucher,
  redeemVouchers,
  releaseAllocation,
  requestRelease,
  requestWithdrawal,
  revokeSigner,
  setModelActive,
  signPermit,
  signVoucher,
  verifyVoucher,
  withdraw,
  withdrawEarnings,
  withdrawEscrowTreasury,
} from "@teetee/sdk/contracts";
import { getAddress, hashDomain, keccak256, toHex, zeroAddress } from "viem";
import {
  ADMIN_DELAY,
  cost,
  expectRevert,
  FAR_FUTURE,
  fixtures,
  networkHelpers,
  newRunnerKey,
  PROTOCOL_FEE_BPS,
  send,
  signedVoucher,
  THAW_PERIOD,
  viem,
  voucherFor,
} from "./helpers/fixture.js";

describe("PaymentEscrow", () => {
  it("test_voucherHelpers_matchTheContract", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market4);
    const c = { contracts: m.contracts };
    const { voucher, signature } = await signedVoucher(m, 12_345n);
    const chainId = m.deployment.chainId;
    const digest = hashVoucher({ voucher, chainId, paymentEscrow: m.contracts.paymentEscrow });
    assert.equal(await getVoucherDigest(m.publicClient, { ...c, voucher }), digest);
    assert.equal(
      await recoverVoucherSigner({ voucher, signature, chainId, paymentEscrow: m.contracts.paymentEscrow }),
      getAddress(m.buyer.account.address),
    );
    assert.equal(
      await verifyVoucher({ voucher, signature, chainId, paymentEscrow: m.contracts.paymentEscrow }),
      true,
    );
    assert.equal(
      await verifyVoucher({
        voucher: { ...voucher, amount: 1n },
        signature,
        chainId,
        paymentEscrow: m.contracts.paymentEscrow,
      }),
      false,
    );
    assert.equal(
      await verifyVoucher({ voucher, signature, chainId: 1, paymentEscrow: m.contracts.paymentEscrow }),
      false,
    );
    const onChain = await m.publicClient.readContract({
      address: m.contracts.paymentEscrow,
      abi: [
        {
          type: "function",
          name: "channelId",
          stateMutability: "pure",
          inputs: [
            { name: "buyer", type: "address" },
            { name: "modelId", type: "bytes32" },
            { name: "sessionId", type: "bytes32" },
            { name: "route", type: "address[]" },
          ],
          outputs: [{ type: "bytes32" }],
        },
      ] as const,
      functionName: "channelId",
      args: [voucher.buyer, voucher.modelId, voucher.sessionId, voucher.route],
    });
    assert.equal(channelId(voucher), onChain);
  });

  it("test_redeem_creditsSharesAndFee_payingOnlyTheIncrease", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const first = cost(1000n, 200n);
    const v1 = await signedVoucher(m, first);
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...v1 }));
    const total = cost(3000n, 900n);
    const v2 = await signedVoucher(m, total);
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...v2 }));
    assert.equal(await getChannelPaid(m.publicClient, { ...c, channelId: channelId(v2.voucher) }), total);
    const shares = m.model.shards.map((s) => s.shareBps);
    const expected = shares.map(
      (bps) => (first * BigInt(bps)) / 10_000n + ((total - first) * BigInt(bps)) / 10_000n,
    );
    for (let i = 0; i < 2; i++) {
      assert.equal(
        await getEarnings(m.publicClient, { ...c, contributor: m.contributors[i]!.account.address }),
        expected[i],
      );
    }
    const credited = expected[0]! + expected[1]!;
    assert.equal(await getTotalEarnings(m.publicClient, c), credited);
    assert.equal(await getEscrowTreasuryBalance(m.publicClient, c), total - credited);
    assert.ok(total - credited >= (total * BigInt(PROTOCOL_FEE_BPS)) / 10_000n);
    // withdrawals
    const alice = m.contributors[0]!;
    const before = await getTokenBalance(m.publicClient, { ...c, owner: alice.account.address });
    await send(m.publicClient, withdrawEarnings(alice, c));
    assert.equal(
      await getTokenBalance(m.publicClient, { ...c, owner: alice.account.address }),
      before + expected[0]!,
    );
    const treasury = await getEscrowTreasury(m.publicClient, c);
    assert.equal(treasury, getAddress(m.treasury.account.address));
    await send(m.publicClient, withdrawEscrowTreasury(m.stranger, c));
    await expectRevert(withdrawEscrowTreasury(m.stranger, c), "EscrowNothingToWithdraw", [treasury]);
    await expectRevert(withdrawEarnings(alice, c), "EscrowNothingToWithdraw", [alice.account.address]);
  });

  it("test_redeemBatch_skipsPaidChannels", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const vouchers = [];
    for (let i = 0; i < 3; i++) vouchers.push(await signedVoucher(m, 1000n, keccak256(toHex(`s${i}`))));
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...vouchers[0]! }));
    await send(m.publicClient, redeemVouchers(m.stranger, { ...c, vouchers }));
    assert.equal(await getTotalDeposits(m.publicClient, c), 10n ** 12n - 3000n);
    await expectRevert(
      m.stranger.writeContract({
        address: m.contracts.paymentEscrow,
        abi: (await import("@teetee/contracts/abi")).paymentEscrowAbi,
        functionName: "redeemBatch",
        args: [[vouchers[0]!.voucher], []],
      }),
      "EscrowBatchLengthMismatch",
      [1n, 0n],
    );
  });

  it("test_deposits_withdrawals_thaw", async () => {
    const m = await networkHelpers.loadFixture(fixtures.deploy);
    const c = { contracts: m.contracts };
    const buyer = m.buyer.account.address;
    await send(m.publicClient, deposit(m.buyer, { ...c, amount: 1000n }));
    await send(m.publicClient, depositFor(m.stranger, { ...c, buyer, amount: 500n }));
    const permit = await signPermit(m.buyer2, {
      ...c,
      spender: m.contracts.paymentEscrow,
      value: 250n,
      deadline: FAR_FUTURE,
    });
    await send(m.publicClient, depositWithPermit(m.buyer2, { ...c, buyer, amount: 250n, permit }));
    assert.equal((await getEscrowAccount(m.publicClient, { ...c, buyer })).balance, 1750n);
    await send(m.publicClient, requestWithdrawal(m.buyer, { ...c, amount: 700n }));
    assert.equal(await getAvailableBalance(m.publicClient, { ...c, buyer }), 1050n);
    await send(m.publicClient, cancelWithdrawal(m.buyer, c));
    await expectRevert(cancelWithdrawal(m.buyer, c), "EscrowNoWithdrawalPending", [buyer]);
    await expectRevert(withdraw(m.buyer, c), "EscrowNoWithdrawalPending");
    await send(m.publicClient, requestWithdrawal(m.buyer, { ...c, amount: 700n }));
    await expectRevert(withdraw(m.buyer, c), "EscrowStillThawing");
    await networkHelpers.time.increase(THAW_PERIOD);
    const before = await getTokenBalance(m.publicClient, { ...c, owner: buyer });
    await send(m.publicClient, withdraw(m.buyer, c));
    assert.equal(await getTokenBalance(m.publicClient, { ...c, owner: buyer }), before + 700n);
    assert.equal(await getThawPeriod(m.publicClient, c), THAW_PERIOD);
    await expectRevert(deposit(m.buyer, { ...c, amount: 0n }), "EscrowZeroAmount");
    await expectRevert(depositFor(m.buyer, { ...c, buyer: zeroAddress, amount: 1n }), "EscrowZeroAddress");
    await expectRevert(requestWithdrawal(m.buyer, { ...c, amount: 0n }), "EscrowZeroAmount");
    await expectRevert(requestWithdrawal(m.buyer, { ...c, amount: 10n ** 9n }), "EscrowInsufficientBalance", [
      buyer,
      10n ** 9n,
      1050n,
    ]);
  });

  it("test_allocate_takesOnlyTheAvailableBalance_andPaysItsRouteFirst", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const buyer = m.buyer.account.address;
    const target = { ...c, modelId: m.model.modelId, route: m.route };
    const id = allocationId({ buyer, modelId: m.model.modelId, route: m.route });
    assert.equal(
      id,
      await m.publicClient.readContract({
        address: m.contracts.paymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "allocationId",
        args: [buyer, m.model.modelId, m.route],
      }),
    );
    const { balance } = await getEscrowAccount(m.publicClient, { ...c, buyer });
    await send(m.publicClient, requestWithdrawal(m.buyer, { ...c, amount: balance - 1_000n }));
    await expectRevert(allocate(m.buyer, { ...target, amount: 1_001n }), "EscrowInsufficientBalance");
    await expectRevert(allocate(m.buyer, { ...target, amount: 0n }), "EscrowZeroAmount");
    await expectRevert(
      allocate(m.buyer, { ...target, route: [m.route[0]!, m.route[0]!], amount: 1n }),
      "EscrowRouteRepeatsRunner",
    );
    await send(m.publicClient, allocate(m.buyer, { ...target, amount: 600n }));
    assert.equal(await getAvailableAllocation(m.publicClient, { ...c, allocationId: id }), 600n);
    assert.equal(await getTotalDeposits(m.publicClient, c), balance);
    // 600 from the allocation, then 100 from the balance
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 700n)) }));
    assert.equal((await getAllocation(m.publicClient, { ...c, allocationId: id })).amount, 0n);
    assert.equal((await getEscrowAccount(m.publicClient, { ...c, buyer })).balance, balance - 700n);
  });

  it("test_release_waitsTheThaw_whileTheRouteStillSpendsIt", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market2);
    const c = { contracts: m.contracts };
    const buyer = m.buyer.account.address;
    const target = { ...c, modelId: m.model.modelId, route: m.route };
    const id = allocationId({ buyer, modelId: m.model.modelId, route: m.route });
    const { balance } = await getEscrowAccount(m.publicClient, { ...c, buyer });
    await send(m.publicClient, allocate(m.buyer, { ...target, amount: 1_000n }));
    await expectRevert(releaseAllocation(m.buyer, target), "EscrowNoReleasePending");
    await expectRevert(
      requestRelease(m.buyer, { ...target, amount: 1_001n }),
      "EscrowInsufficientAllocation",
    );
    await send(m.publicClient, requestRelease(m.buyer, { ...target, amount: 1_000n }));
    assert.equal(await getAvailableAllocation(m.publicClient, { ...c, allocationId: id }), 0n);
    await send(m.publicClient, cancelRelease(m.buyer, target));
    assert.equal(await getAvailableAllocation(m.publicClient, { ...c, allocationId: id }), 1_000n);
    await send(m.publicClient, requestRelease(m.buyer, { ...target, amount: 1_000n }));
    await expectRevert(releaseAllocation(m.buyer, target), "EscrowStillReleasing");
    // a voucher the runners accepted before the release still settles from the allocation during the thaw
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 300n)) }));
    await networkHelpers.time.increase(THAW_PERIOD);
    await send(m.publicClient, releaseAllocation(m.buyer, target));
    assert.deepEqual(await getAllocation(m.publicClient, { ...c, allocationId: id }), {
      amount: 0n,
      releasing: 0n,
      releaseEnd: 0n,
    });
    assert.equal((await getEscrowAccount(m.publicClient, { ...c, buyer })).balance, balance - 300n);
  });

  it("test_sessionSigners_limitExpiryRevocation", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const session = newRunnerKey(m);
    const buyer = m.buyer.account.address;
    const latest = BigInt(await networkHelpers.time.latest());
    const expiry = latest + 10n * THAW_PERIOD;
    await expectRevert(
      signedVoucher(m, 100n, undefined, session.client).then((v) =>
        redeemVoucher(m.stranger, { ...c, ...v }),
      ),
      "EscrowSignerNotAuthorized",
      [buyer, session.address],
    );
    await send(
      m.publicClient,
      authorizeSigner(m.buyer, { ...c, signer: session.address, spendLimit: 1000n, expiry }),
    );
    await send(
      m.publicClient,
      redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 600n, undefined, session.client)) }),
    );
    assert.equal(
      (await getSessionSigner(m.publicClient, { ...c, buyer, signer: session.address })).spent,
      600n,
    );
    await expectRevert(
      signedVoucher(m, 1100n, undefined, session.client).then((v) =>
        redeemVoucher(m.stranger, { ...c, ...v }),
      ),
      "EscrowSignerLimitExceeded",
      [buyer, session.address, 1000n, 1100n],
    );
    await send(m.publicClient, revokeSigner(m.buyer, { ...c, signer: session.address }));
    await networkHelpers.time.increase(THAW_PERIOD + 1n);
    await expectRevert(
      signedVoucher(m, 700n, undefined, session.client).then((v) =>
        redeemVoucher(m.stranger, { ...c, ...v }),
      ),
      "EscrowSignerExpired",
    );
    await expectRevert(
      authorizeSigner(m.buyer, { ...c, signer: session.address, spendLimit: 1n, expiry: 1n }),
      "EscrowInvalidExpiry",
      [1n],
    );
    await expectRevert(
      authorizeSigner(m.buyer, { ...c, signer: zeroAddress, spendLimit: 1n, expiry }),
      "EscrowZeroAddress",
    );
    await expectRevert(
      revokeSigner(m.buyer, { ...c, signer: m.stranger.account.address }),
      "EscrowSignerNotAuthorized",
    );
  });

  it("test_redeem_reverts", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    const v = await signedVoucher(m, 100n);
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...v }));
    await expectRevert(redeemVoucher(m.stranger, { ...c, ...v }), "EscrowVoucherNotIncreasing", [
      channelId(v.voucher),
      100n,
      100n,
    ]);
    const poor = { ...voucherFor(m, 100n), buyer: m.buyer2.account.address };
    const sig = await (await import("@teetee/sdk/contracts")).signVoucher(m.buyer2, {
      ...c,
      voucher: poor,
    });
    await expectRevert(
      redeemVoucher(m.stranger, { ...c, voucher: poor, signature: sig }),
      "EscrowInsufficientBalance",
      [getAddress(poor.buyer), 100n, 0n],
    );
    await send(m.publicClient, setModelActive(m.admin, { ...c, modelId: m.model.modelId, active: false }));
    // service given before the deactivation still settles, on a new channel as on an open one
    await send(
      m.publicClient,
      redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 100n, keccak256(toHex("new")))) }),
    );
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 200n)) }));
  });

  it("test_constructor_rejectsZeroAddresses", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const { token, modelRegistry, runnerRegistry } = f.contracts;
    const admin = f.admin.account.address;
    const treasury = f.treasury.account.address;
    const args = [token, modelRegistry, runnerRegistry, admin, ADMIN_DELAY, treasury, THAW_PERIOD] as const;
    for (const i of [0, 1, 2, 5]) {
      const withZero = args.map((arg, j) => (j === i ? zeroAddress : arg)) as unknown as typeof args;
      await expectRevert(viem.deployContract("PaymentEscrow", [...withZero]), "EscrowZeroAddress");
    }
    const ok = await viem.deployContract("PaymentEscrow", [...args]);
    assert.equal(
      await f.publicClient.readContract({
        address: ok.address,
        abi: paymentEscrowAbi,
        functionName: "token",
      }),
      getAddress(token),
    );
    assert.equal(
      await getEscrowTreasury(f.publicClient, { contracts: { ...f.contracts, paymentEscrow: ok.address } }),
      getAddress(treasury),
    );
  });

  it("test_redeem_erc1271ContractWalletBuyer", async () => {
    const m = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: m.contracts };
    // buyer2's key owns the wallet; the wallet itself holds the escrow balance
    const owner = m.buyer2;
    const wallet = await viem.deployContract("MockContractWallet", [owner.account.address]);
    await send(m.publicClient, depositFor(owner, { ...c, buyer: wallet.address, amount: 1000n }));
    const voucher = { ...voucherFor(m, 300n), buyer: wallet.address };
    const signature = await signVoucher(owner, { ...c, voucher });
    const contributor = m.contributors[0]!.account.address;
    const earningsBefore = await getEarnings(m.publicClient, { ...c, contributor });
    await send(m.publicClient, redeemVoucher(m.stranger, { ...c, voucher, signature }));
    assert.equal(await getChannelPaid(m.publicClient, { ...c, channelId: channelId(voucher) }), 300n);
    assert.equal(await getAvailableBalance(m.publicClient, { ...c, buyer: wallet.address }), 700n);
    const fee = (300n * BigInt(PROTOCOL_FEE_BPS)) / 10_000n;
    assert.equal((await getEarnings(m.publicClient, { ...c, contributor })) - earningsBefore, 300n - fee);
    // a higher voucher signed by the owner settles only the increase
    const next = { ...voucher, amount: 500n };
    await send(
      m.publicClient,
      redeemVoucher(m.stranger, {
        ...c,
        voucher: next,
        signature: await signVoucher(owner, { ...c, voucher: next }),
      }),
    );
    assert.equal(await getAvailableBalance(m.publicClient, { ...c, buyer: wallet.address }), 500n);
    // a key that does not own the wallet is refused
    const forged = { ...voucher, amount: 900n };
    await expectRevert(
      redeemVoucher(m.stranger, {
        ...c,
        voucher: forged,
        signature: await signVoucher(m.buyer, { ...c, voucher: forged }),
      }),
      "EscrowSignerNotAuthorized",
      [wallet.address, m.buyer.account.address],
    );
  });

  it("test_domainSeparator_matchesEip712Domain", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    assert.equal(
      await f.publicClient.readContract({
        address: f.contracts.paymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "DOMAIN_SEPARATOR",
      }),
      hashDomain({
        domain: {
          name: "TeeTee PaymentEscrow",
          version: "1",
          chainId: BigInt(f.deployment.chainId),
          verifyingContract: f.contracts.paymentEscrow,
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
