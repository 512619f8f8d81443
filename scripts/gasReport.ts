/**
 * Measures gasUsed of every state-changing TeeTee function on Hardhat's in-process network and writes
 * `gas/report.json`. `--check` compares with the committed file instead and exits 1 when any figure grew by more
 * than 5%, or when `redeem` on a 4-runner route in steady state exceeds its 150,000 gas target.
 *
 *   tsx scripts/gasReport.ts [--check]
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  allocate,
  authorizeSigner,
  cancelRelease,
  cancelWithdrawal,
  deactivateRunner,
  deposit,
  depositFor,
  depositWithPermit,
  redeemVoucher,
  redeemVouchers,
  refreshAttestation,
  registerModel,
  registerRunner,
  releaseAllocation,
  reportEquivocation,
  requestRelease,
  requestUnstake,
  requestWithdrawal,
  revokeSigner,
  setAttestationTtl,
  setComposeHashAllowed,
  setEndpoint,
  setMinStake,
  setModelActive,
  setOsImageAllowed,
  setPrices,
  signAttestationRefresh,
  signPermit,
  signRunnerConsent,
  slash,
  stake,
  transferCuratorship,
  withdraw,
  withdrawEarnings,
  withdrawEscrowTreasury,
  withdrawStake,
  withdrawStakingTreasury,
} from "@teetee/sdk/contracts";
import { signReceipt } from "@teetee/sdk/receipts";
import { keccak256, type TransactionReceipt, toHex } from "viem";
import {
  COMPOSE_HASH,
  FAR_FUTURE,
  type Market,
  marketFixture,
  modelParams,
  networkHelpers,
  newRunnerKey,
  OS_IMAGE,
  registration,
  send,
  signedVoucher,
  THAW_PERIOD,
  UNBONDING_PERIOD,
} from "../test/helpers/fixture.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const reportFile = path.join(root, "gas", "report.json");
export const REDEEM_4_STEADY_TARGET = 150_000n;
const tolerance = 0.05;

type Report = Record<string, number>;

async function gas(m: Market, tx: Promise<`0x${string}`>): Promise<number> {
  const receipt: TransactionReceipt = await send(m.publicClient, tx);
  return Number(receipt.gasUsed);
}

/** Sets aside most of the market buyer's deposit for the market's route, as a buyer does before using it. */
async function allocateRoute(m: Market): Promise<void> {
  await send(
    m.publicClient,
    allocate(m.buyer, {
      contracts: m.contracts,
      modelId: m.model.modelId,
      route: m.route,
      amount: 10n ** 11n,
    }),
  );
}

export async function measureRedeem(report: Report, runners: number): Promise<void> {
  const m = await marketFixture(runners);
  const c = { contracts: m.contracts };
  await allocateRoute(m);
  // First credit: a new channel and contributors who hold no earnings yet.
  report[`redeem.${runners}runners.firstCredit`] = await gas(
    m,
    redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 1_000_000n)) }),
  );
  // A new channel whose contributors already hold earnings.
  const fresh = await signedVoucher(m, 1_000_000n, keccak256(toHex("second session")));
  report[`redeem.${runners}runners.newChannel`] = await gas(m, redeemVoucher(m.stranger, { ...c, ...fresh }));
  // Steady: the channel paid before and contributors hold earnings.
  report[`redeem.${runners}runners.steady`] = await gas(
    m,
    redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 2_000_000n)) }),
  );
}

/** Steady redemption on 4 runners paid from the buyer's unallocated balance (its route allocated nothing). */
async function measureRedeemFromBalance(report: Report): Promise<void> {
  const m = await marketFixture(4);
  const c = { contracts: m.contracts };
  await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 1_000_000n)) }));
  report["redeem.4runners.steady.fromBalance"] = await gas(
    m,
    redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 2_000_000n)) }),
  );
}

async function measureBatch(report: Report, size: number): Promise<void> {
  const m = await marketFixture(4);
  const c = { contracts: m.contracts };
  await allocateRoute(m);
  await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 1_000n)) }));
  const vouchers = [];
  for (let i = 0; i < size; i++)
    vouchers.push(await signedVoucher(m, 1_000_000n, keccak256(toHex(`batch ${i}`))));
  const used = await gas(m, redeemVouchers(m.stranger, { ...c, vouchers }));
  report[`redeemBatch.4runners.${size}vouchers`] = used;
  report[`redeemBatch.4runners.${size}vouchers.perVoucher`] = Math.round(used / size);
}

async function measureLifecycle(report: Report): Promise<void> {
  const m = await marketFixture(1);
  const c = { contracts: m.contracts };
  const modelId = m.model.modelId;
  const alice = m.contributors[0]!;
  const bob = m.contributors[1]!;
  await networkHelpers.time.increase(1);
  report["registerModel.1shard"] = await gas(
    m,
    registerModel(m.admin, { ...c, model: modelParams(1, "gas 1") }),
  );
  report["registerModel.4shards"] = await gas(
    m,
    registerModel(m.admin, { ...c, model: modelParams(4, "gas 4") }),
  );
  report.setPrices = await gas(
    m,
    setPrices(m.admin, { ...c, modelId, inputPricePerMTok: 3n, outputPricePerMTok: 4n }),
  );
  report.setMinStake = await gas(m, setMinStake(m.admin, { ...c, modelId, minStake: m.model.minStake }));
  report.setAttestationTtl = await gas(
    m,
    setAttestationTtl(m.admin, { ...c, modelId, attestationTtl: 7200n }),
  );
  report.setComposeHashAllowed = await gas(
    m,
    setComposeHashAllowed(m.admin, { ...c, modelId, composeHash: keccak256(toHex("x")), allowed: true }),
  );
  report.setOsImageAllowed = await gas(
    m,
    setOsImageAllowed(m.admin, { ...c, modelId, osImage: keccak256(toHex("os x")), allowed: true }),
  );
  report.stake = await gas(m, stake(bob, { ...c, amount: m.model.minStake }));
  const runner = newRunnerKey(m);
  const reg = registration(runner, modelId, 0);
  const regConsent = await signRunnerConsent(runner.client, {
    ...c,
    registration: reg,
    contributor: bob.account.address,
  });
  report.registerRunner = await gas(m, registerRunner(bob, { ...c, registration: reg, consent: regConsent }));
  const quoteHash = keccak256(toHex("fresh"));
  const consent = await signAttestationRefresh(runner.client, {
    ...c,
    quoteHash,
    composeHash: COMPOSE_HASH,
    osImage: OS_IMAGE,
    deadline: FAR_FUTURE,
  });
  report.refreshAttestation = await gas(
    m,
    refreshAttestation(m.stranger, {
      ...c,
      runner: runner.address,
      quoteHash,
      composeHash: COMPOSE_HASH,
      osImage: OS_IMAGE,
      deadline: FAR_FUTURE,
      consent,
    }),
  );
  report.setEndpoint = await gas(
    m,
    setEndpoint(bob, { ...c, runner: runner.address, endpoint: "https://gas.example" }),
  );
  report.deactivateRunner = await gas(m, deactivateRunner(bob, { ...c, runner: runner.address }));
  report.requestUnstake = await gas(m, requestUnstake(bob, { ...c, amount: 100n }));
  report.slash = await gas(
    m,
    slash(m.slasher, {
      ...c,
      staker: bob.account.address,
      runner: runner.address,
      amount: 50n,
      evidenceHash: quoteHash,
    }),
  );
  await networkHelpers.time.increase(UNBONDING_PERIOD);
  report.withdrawStake = await gas(m, withdrawStake(bob, c));
  report.withdrawStakingTreasury = await gas(m, withdrawStakingTreasury(m.stranger, c));
  report.deposit = await gas(m, deposit(m.buyer2, { ...c, amount: 10_000n }));
  report.depositFor = await gas(
    m,
    depositFor(m.stranger, { ...c, buyer: m.buyer2.account.address, amount: 10_000n }),
  );
  const permit = await signPermit(m.buyer2, {
    ...c,
    spender: m.contracts.paymentEscrow,
    value: 10_000n,
    deadline: FAR_FUTURE,
  });
  report.depositWithPermit = await gas(
    m,
    depositWithPermit(m.buyer2, { ...c, buyer: m.buyer2.account.address, amount: 10_000n, permit }),
  );
  report.requestWithdrawal = await gas(m, requestWithdrawal(m.buyer2, { ...c, amount: 1_000n }));
  report.cancelWithdrawal = await gas(m, cancelWithdrawal(m.buyer2, c));
  await send(m.publicClient, requestWithdrawal(m.buyer2, { ...c, amount: 1_000n }));
  const session = newRunnerKey(m).address;
  const latest = BigInt(await networkHelpers.time.latest());
  report.authorizeSigner = await gas(
    m,
    authorizeSigner(m.buyer2, {
      ...c,
      signer: session,
      spendLimit: 10n ** 9n,
      expiry: latest + 10n * THAW_PERIOD,
    }),
  );
  report.revokeSigner = await gas(m, revokeSigner(m.buyer2, { ...c, signer: session }));
  await networkHelpers.time.increase(THAW_PERIOD);
  report.withdraw = await gas(m, withdraw(m.buyer2, c));
  const route = { ...c, modelId, route: m.route };
  report.allocate = await gas(m, allocate(m.buyer2, { ...route, amount: 1_000n }));
  report.requestRelease = await gas(m, requestRelease(m.buyer2, { ...route, amount: 500n }));
  report.cancelRelease = await gas(m, cancelRelease(m.buyer2, route));
  await send(m.publicClient, requestRelease(m.buyer2, { ...route, amount: 500n }));
  await networkHelpers.time.increase(THAW_PERIOD);
  report.release = await gas(m, releaseAllocation(m.buyer2, route));
  await send(m.publicClient, redeemVoucher(m.stranger, { ...c, ...(await signedVoucher(m, 1_000_000n)) }));
  report.withdrawEarnings = await gas(m, withdrawEarnings(alice, c));
  report.withdrawEscrowTreasury = await gas(m, withdrawEscrowTreasury(m.stranger, c));
  report.transferCuratorship = await gas(
    m,
    transferCuratorship(m.admin, { ...c, modelId, newCurator: m.admin.account.address }),
  );
  report.setActive = await gas(m, setModelActive(m.admin, { ...c, modelId, active: false }));
}

/** An equivocation report on a 4-shard market: two receipts of one runner, a slash of its whole lock. */
async function measureEquivocation(report: Report): Promise<void> {
  const m = await marketFixture(4);
  const runner = m.runners[2]!;
  const domain = { chainId: m.publicClient.chain!.id, runnerRegistry: m.contracts.runnerRegistry };
  const receipt = {
    modelId: m.model.modelId,
    shardIndex: 2,
    sessionId: toHex("gas session.....", { size: 16 }),
    positionStart: 0,
    positionCount: 64,
    paramsHash: keccak256(toHex("params")),
    inputHash: keccak256(toHex("input")),
    outputHash: keccak256(toHex("output")),
    previousReceipt: keccak256(toHex("previous")),
    issuedAt: 1_800_000_000n,
  };
  const first = await signReceipt(runner.account, { receipt, ...domain });
  const second = await signReceipt(runner.account, {
    receipt: { ...receipt, outputHash: keccak256(toHex("another output")) },
    ...domain,
  });
  report.reportEquivocation = await gas(
    m,
    reportEquivocation(m.stranger, { contracts: m.contracts, first, second }),
  );
}

/** Runs every measurement; exported so a test can check the redeem target. */
export async function measureGas(): Promise<Report> {
  const report: Report = {};
  await measureLifecycle(report);
  await measureEquivocation(report);
  for (const runners of [1, 2, 4, 8]) await measureRedeem(report, runners);
  await measureRedeemFromBalance(report);
  for (const size of [1, 10, 100]) await measureBatch(report, size);
  return report;
}

function compare(current: Report, committed: Report): string[] {
  const failures: string[] = [];
  for (const [name, value] of Object.entries(current)) {
    const previous = committed[name];
    if (previous !== undefined && value > previous * (1 + tolerance)) {
      failures.push(`${name}: ${value} > ${previous} + 5%`);
    }
  }
  const steady = current["redeem.4runners.steady"];
  if (steady === undefined || BigInt(steady) > REDEEM_4_STEADY_TARGET) {
    failures.push(`redeem.4runners.steady: ${steady} over the ${REDEEM_4_STEADY_TARGET} target`);
  }
  return failures;
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const report = await measureGas();
  const committed = check ? (JSON.parse(await readFile(reportFile, "utf8")) as Report) : {};
  console.table(
    Object.entries(report).map(([name, gasUsed]) => ({ name, gasUsed, committed: committed[name] ?? "" })),
  );
  const failures = compare(report, committed);
  if (check) {
    if (failures.length > 0) {
      console.error(failures.join("\n"));
      process.exit(1);
    }
    console.log("gas within 5% of gas/report.json");
    return;
  }
  const sorted = Object.fromEntries(Object.entries(report).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(reportFile, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(
    `wrote ${path.relative(root, reportFile)}; redeem 4-runner steady target met: ${failures.length === 0}`,
  );
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
  process.exit(0);
}
