import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { paymentEscrowAbi, runnerRegistryAbi, stakingAbi, testTokenAbi } from "@teetee/contracts/abi";
import { deployTeeTee } from "@teetee/contracts/deploy";
import {
  getEarnings,
  getTokenBalance,
  redeemVoucher,
  signRunnerConsent,
  signVoucher,
} from "@teetee/sdk/contracts";
import { type Address, encodeFunctionData, type Hex, keccak256, parseAbi, toHex } from "viem";
import {
  deployFixture,
  MIN_STAKE,
  networkHelpers,
  newRunnerKey,
  registerTestModel,
  registration,
  send,
  type TeeTeeFixture,
  THAW_PERIOD,
  UNBONDING_PERIOD,
  viem,
} from "./helpers/fixture.js";

const hostileTokenAbi = parseAbi([
  "function mint(address to, uint256 amount)",
  "function setHooked(address account, bool hooked)",
  "function balanceOf(address account) view returns (uint256)",
]);
const hostileReceiverAbi = parseAbi([
  "function execute(address target, bytes data) returns (bytes)",
  "function armReentry(address target, bytes data)",
  "function setMode(uint8 mode)",
  "function reentryAttempted() view returns (bool)",
  "function reentrySucceeded() view returns (bool)",
]);

async function hostileFixture() {
  const base = await deployFixture();
  const deployed = {
    token: (await viem.deployContract("HostileToken")).address,
    receiver: (await viem.deployContract("HostileReceiver")).address,
  };
  const write = (
    address: Address,
    abi: typeof hostileTokenAbi | typeof hostileReceiverAbi,
    functionName: string,
    args: readonly unknown[],
  ) =>
    send(
      base.publicClient,
      base.admin.writeContract({ address, abi, functionName, args } as Parameters<
        typeof base.admin.writeContract
      >[0]),
    );
  const read = (
    address: Address,
    abi: typeof hostileTokenAbi | typeof hostileReceiverAbi,
    functionName: string,
    args: readonly unknown[] = [],
  ) =>
    base.publicClient.readContract({ address, abi, functionName, args } as Parameters<
      typeof base.publicClient.readContract
    >[0]);
  const token = {
    address: deployed.token,
    write: {
      mint: (args: readonly unknown[]) => write(deployed.token, hostileTokenAbi, "mint", args),
      setHooked: (args: readonly unknown[]) => write(deployed.token, hostileTokenAbi, "setHooked", args),
    },
    read: {
      balanceOf: async (args: readonly unknown[]) =>
        (await read(deployed.token, hostileTokenAbi, "balanceOf", args)) as bigint,
    },
  };
  const receiver = {
    address: deployed.receiver,
    write: {
      execute: (args: readonly unknown[]) =>
        base.admin.writeContract({
          address: deployed.receiver,
          abi: hostileReceiverAbi,
          functionName: "execute",
          args: args as [Address, Hex],
        }),
      armReentry: (args: readonly unknown[]) =>
        write(deployed.receiver, hostileReceiverAbi, "armReentry", args),
      setMode: (args: readonly unknown[]) => write(deployed.receiver, hostileReceiverAbi, "setMode", args),
    },
    read: {
      reentryAttempted: async () =>
        (await read(deployed.receiver, hostileReceiverAbi, "reentryAttempted")) as boolean,
      reentrySucceeded: async () =>
        (await read(deployed.receiver, hostileReceiverAbi, "reentrySucceeded")) as boolean,
    },
  };
  const deployment = await deployTeeTee({
    walletClient: base.admin,
    publicClient: base.publicClient,
    paymentToken: token.address,
    treasury: base.treasury.account.address,
    unbondingPeriod: UNBONDING_PERIOD,
    thawPeriod: THAW_PERIOD,
    outDir: false,
  });
  const f: TeeTeeFixture = { ...base, deployment, contracts: deployment };
  const exec = async (target: Address, data: Hex) =>
    send(f.publicClient, receiver.write.execute([target, data]));
  await token.write.mint([receiver.address, 10n ** 15n]);
  await token.write.mint([f.buyer.account.address, 10n ** 15n]);
  for (const spender of [deployment.staking, deployment.paymentEscrow]) {
    await exec(
      token.address,
      encodeFunctionData({ abi: testTokenAbi, functionName: "approve", args: [spender, 2n ** 255n] }),
    );
  }
  await send(
    f.publicClient,
    f.buyer.writeContract({
      address: token.address,
      abi: testTokenAbi,
      functionName: "approve",
      args: [deployment.paymentEscrow, 2n ** 255n],
    }),
  );
  await send(
    f.publicClient,
    f.buyer.writeContract({
      address: deployment.paymentEscrow,
      abi: paymentEscrowAbi,
      functionName: "deposit",
      args: [10n ** 12n],
    }),
  );
  // the receiver contract is the contributor of a one-shard model's runner
  const model = await registerTestModel(f, 1, "hostile");
  await exec(
    deployment.staking,
    encodeFunctionData({ abi: stakingAbi, functionName: "stake", args: [MIN_STAKE] }),
  );
  const runner = newRunnerKey(f);
  const reg = registration(runner, model.modelId, 0);
  const consent = await signRunnerConsent(runner.client, {
    contracts: deployment,
    registration: reg,
    contributor: receiver.address,
  });
  await exec(
    deployment.runnerRegistry,
    encodeFunctionData({
      abi: runnerRegistryAbi,
      functionName: "registerRunner",
      args: [reg, "0x", consent],
    }),
  );
  const voucher = {
    buyer: f.buyer.account.address,
    modelId: model.modelId,
    sessionId: keccak256(toHex("s")),
    route: [runner.address],
    amount: 1_000_000n,
  };
  const signature = await signVoucher(f.buyer, { contracts: deployment, voucher });
  await send(f.publicClient, redeemVoucher(f.stranger, { contracts: deployment, voucher, signature }));
  await token.write.setHooked([receiver.address, true]);
  return { f, token, receiver, exec, voucher, signature };
}

const data = {
  withdrawEarnings: encodeFunctionData({ abi: paymentEscrowAbi, functionName: "withdrawEarnings" }),
  withdraw: encodeFunctionData({ abi: paymentEscrowAbi, functionName: "withdraw" }),
  withdrawStake: encodeFunctionData({ abi: stakingAbi, functionName: "withdrawStake" }),
};

describe("reentrancy through a hostile token", () => {
  it("test_withdrawEarnings_reentered_paysOnce", async () => {
    const { f, token, receiver, exec } = await networkHelpers.loadFixture(hostileFixture);
    const c = { contracts: f.contracts };
    const earned = await getEarnings(f.publicClient, { ...c, contributor: receiver.address });
    assert.ok(earned > 0n);
    const before = await token.read.balanceOf([receiver.address]);
    await receiver.write.armReentry([f.contracts.paymentEscrow, data.withdrawEarnings]);
    await exec(f.contracts.paymentEscrow, data.withdrawEarnings);
    assert.equal(await receiver.read.reentryAttempted(), true);
    assert.equal(await receiver.read.reentrySucceeded(), false);
    assert.equal((await token.read.balanceOf([receiver.address])) - before, earned);
    assert.equal(await getEarnings(f.publicClient, { ...c, contributor: receiver.address }), 0n);
  });

  it("test_withdrawEarnings_reenteringRedeem_doesNotPayTwice", async () => {
    const { f, receiver, exec, voucher, signature } = await networkHelpers.loadFixture(hostileFixture);
    const redeemData = encodeFunctionData({
      abi: paymentEscrowAbi,
      functionName: "redeem",
      args: [voucher, signature],
    });
    await receiver.write.armReentry([f.contracts.paymentEscrow, redeemData]);
    await exec(f.contracts.paymentEscrow, data.withdrawEarnings);
    assert.equal(await receiver.read.reentryAttempted(), true);
    assert.equal(await receiver.read.reentrySucceeded(), false);
    assert.equal(
      await getEarnings(f.publicClient, { contracts: f.contracts, contributor: receiver.address }),
      0n,
    );
  });

  it("test_withdraw_reentered_paysOnce", async () => {
    const { f, token, receiver, exec } = await networkHelpers.loadFixture(hostileFixture);
    await exec(
      f.contracts.paymentEscrow,
      encodeFunctionData({ abi: paymentEscrowAbi, functionName: "deposit", args: [5000n] }),
    );
    await exec(
      f.contracts.paymentEscrow,
      encodeFunctionData({ abi: paymentEscrowAbi, functionName: "requestWithdrawal", args: [5000n] }),
    );
    await networkHelpers.time.increase(THAW_PERIOD);
    const before = await token.read.balanceOf([receiver.address]);
    await receiver.write.armReentry([f.contracts.paymentEscrow, data.withdraw]);
    await exec(f.contracts.paymentEscrow, data.withdraw);
    assert.equal(await receiver.read.reentrySucceeded(), false);
    assert.equal((await token.read.balanceOf([receiver.address])) - before, 5000n);
  });

  it("test_withdrawStake_reentered_paysOnce", async () => {
    const { f, token, receiver, exec } = await networkHelpers.loadFixture(hostileFixture);
    await exec(
      f.contracts.staking,
      encodeFunctionData({ abi: stakingAbi, functionName: "stake", args: [700n] }),
    );
    await exec(
      f.contracts.staking,
      encodeFunctionData({ abi: stakingAbi, functionName: "requestUnstake", args: [700n] }),
    );
    await networkHelpers.time.increase(UNBONDING_PERIOD);
    const before = await token.read.balanceOf([receiver.address]);
    await receiver.write.armReentry([f.contracts.staking, data.withdrawStake]);
    await exec(f.contracts.staking, data.withdrawStake);
    assert.equal(await receiver.read.reentryAttempted(), true);
    assert.equal(await receiver.read.reentrySucceeded(), false);
    assert.equal((await token.read.balanceOf([receiver.address])) - before, 700n);
    assert.equal(
      await getTokenBalance(f.publicClient, { address: token.address, owner: f.contracts.staking }),
      MIN_STAKE,
    );
  });

  it("test_refusingContributor_blocksNobody", async () => {
    const { f, receiver, exec } = await networkHelpers.loadFixture(hostileFixture);
    await receiver.write.setMode([2]);
    await assert.rejects(exec(f.contracts.paymentEscrow, data.withdrawEarnings));
    assert.ok(
      (await getEarnings(f.publicClient, { contracts: f.contracts, contributor: receiver.address })) > 0n,
    );
  });
});
