import assert from "node:assert/strict";
import { deployTeeTee } from "@teetee/contracts/deploy";
import type { Deployment } from "@teetee/contracts/deployments";
import {
  approveToken,
  computeCost,
  decodeContractError,
  deposit,
  getEscrowTreasuryBalance,
  getStakingTreasuryBalance,
  getTokenBalance,
  getTotalDeposits,
  getTotalEarnings,
  getTotalStaked,
  type ModelParams,
  mintTestToken,
  type RunnerRegistration,
  registerModel,
  registerRunner,
  signRunnerConsent,
  signVoucher,
  stake,
  type TeeTeeClient,
  type TeeTeeContracts,
  type Voucher,
} from "@teetee/sdk/contracts";
import { network } from "hardhat";
import {
  type Account,
  type Address,
  type Chain,
  createWalletClient,
  custom,
  getAddress,
  type Hash,
  type Hex,
  isAddress,
  keccak256,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

export type Wallet = WalletClient<Transport, Chain, Account>;

export const PROTOCOL_FEE_BPS = 500;
export const UNBONDING_PERIOD = 7n * 24n * 3600n;
export const ADMIN_DELAY = 2 * 24 * 3600;
export const THAW_PERIOD = 24n * 3600n;
export const MIN_STAKE = 1_000_000_000n;
export const INPUT_PRICE = 2_000_000n;
export const OUTPUT_PRICE = 6_000_000n;
export const ATTESTATION_TTL = 3600n;
export const COMPOSE_HASH = keccak256(toHex("compose: teetee-runner v1"));
export const OS_IMAGE = keccak256(toHex("os image: dstack-0.5 measured"));
export const FAR_FUTURE = 2n ** 40n;

/** Connects once per test file; each test then restores a snapshot of the fixture with `loadFixture`. */
export const connection = await network.create();
export const { viem, networkHelpers } = connection;

export interface TeeTeeFixture {
  publicClient: PublicClient;
  deployment: Deployment;
  contracts: TeeTeeContracts;
  admin: Wallet;
  treasury: Wallet;
  slasher: Wallet;
  buyer: Wallet;
  buyer2: Wallet;
  contributors: Wallet[];
  stranger: Wallet;
}

/** Deploys the system, mints tokens to every actor and approves both staking and escrow. */
export async function deployFixture(): Promise<TeeTeeFixture> {
  const publicClient = (await viem.getPublicClient()) as unknown as PublicClient;
  const wallets = (await viem.getWalletClients()) as unknown as Wallet[];
  const [admin, treasury, slasher, buyer, buyer2, stranger, ...contributors] = wallets as [
    Wallet,
    Wallet,
    Wallet,
    Wallet,
    Wallet,
    Wallet,
    ...Wallet[],
  ];
  const deployment = await deployTeeTee({
    walletClient: admin,
    publicClient,
    treasury: treasury.account.address,
    protocolFeeBps: PROTOCOL_FEE_BPS,
    unbondingPeriod: UNBONDING_PERIOD,
    adminDelay: ADMIN_DELAY,
    thawPeriod: THAW_PERIOD,
    slashers: [slasher.account.address],
    runnerAdmins: [admin.account.address],
    outDir: false,
  });
  const contracts: TeeTeeContracts = deployment;
  for (const wallet of [buyer, buyer2, stranger, ...contributors]) {
    await send(
      publicClient,
      mintTestToken(wallet, { contracts, to: wallet.account.address, amount: 10n ** 15n }),
    );
    for (const spender of [contracts.staking, contracts.paymentEscrow]) {
      await send(publicClient, approveToken(wallet, { contracts, spender, amount: 2n ** 255n }));
    }
  }
  return {
    publicClient,
    deployment,
    contracts,
    admin,
    treasury,
    slasher,
    buyer,
    buyer2,
    contributors,
    stranger,
  };
}

/** Waits for a transaction and checks it succeeded. */
export async function send(
  publicClient: PublicClient,
  hash: Promise<Hash> | Hash,
): Promise<TransactionReceipt> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  assert.equal(receipt.status, "success");
  return receipt;
}

/** Expects a call to revert with a given custom error (decoded by the SDK), optionally with given arguments. */
export async function expectRevert(
  promise: Promise<unknown>,
  name: string,
  args?: readonly unknown[],
): Promise<void> {
  let failure: unknown;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure !== undefined, `expected a revert with ${name}, but the call succeeded`);
  const decoded = decodeContractError(failure);
  assert.equal(decoded.name, name, `expected ${name}, got ${decoded.name}: ${decoded.message}`);
  if (args !== undefined) assert.deepEqual(decoded.args.map(normalize), args.map(normalize));
}

/** Hardhat's accounts are lower-case; contracts return checksummed addresses. */
function normalize(value: unknown): unknown {
  return typeof value === "string" && isAddress(value, { strict: false }) ? getAddress(value) : value;
}

export function shardSpec(count: number, layersPerShard = 4, feeBps = PROTOCOL_FEE_BPS) {
  const total = 10_000 - feeBps;
  return Array.from({ length: count }, (_, i) => ({
    firstLayer: i * layersPerShard,
    endLayer: (i + 1) * layersPerShard,
    weightsHash: keccak256(toHex(`weights ${i}`)),
    // The first shard takes the remainder so the shares add up exactly.
    shareBps: i === 0 ? total - Math.floor(total / count) * (count - 1) : Math.floor(total / count),
  }));
}

/** Model parameters with `count` shards of 4 layers. */
export function modelParams(count: number, name = `model ${count}`): ModelParams {
  return {
    modelId: keccak256(toHex(name)),
    tokenizerHash: keccak256(toHex(`tokenizer ${name}`)),
    numLayers: count * 4,
    inputPricePerMTok: INPUT_PRICE,
    outputPricePerMTok: OUTPUT_PRICE,
    minStake: MIN_STAKE,
    attestationTtl: ATTESTATION_TTL,
    shards: shardSpec(count),
    composeHashes: [COMPOSE_HASH],
    osImages: [OS_IMAGE],
  };
}

export async function registerTestModel(
  f: TeeTeeFixture,
  count: number,
  name?: string,
): Promise<ModelParams> {
  const params = modelParams(count, name);
  await send(f.publicClient, registerModel(f.admin, { contracts: f.contracts, model: params }));
  return params;
}

/** A runner key as made inside a TEE, with a wallet client that signs with it. */
export interface RunnerKey {
  account: PrivateKeyAccount;
  address: Address;
  /** The uncompressed public key without its 0x04 prefix: 64 bytes, hashing to the address. */
  publicKey: Hex;
  client: TeeTeeClient;
}

export function newRunnerKey(f: TeeTeeFixture): RunnerKey {
  const account = privateKeyToAccount(generatePrivateKey());
  const client = createWalletClient({
    account,
    chain: f.publicClient.chain,
    transport: custom(f.publicClient),
  });
  return { account, address: account.address, publicKey: `0x${account.publicKey.slice(4)}`, client };
}

export function registration(runner: RunnerKey, modelId: Hex, shardIndex: number): RunnerRegistration {
  return {
    runner: runner.address,
    modelId,
    shardIndex,
    endpoint: `https://runner-${runner.address.slice(2, 8).toLowerCase()}.example`,
    publicKey: runner.publicKey,
    quoteHash: keccak256(toHex(`quote of ${runner.address}`)),
    composeHash: COMPOSE_HASH,
    osImage: OS_IMAGE,
    deadline: FAR_FUTURE,
  };
}

/** Stakes the test models' minimum for one runner. */
export async function stakeFor(f: TeeTeeFixture, contributor: Wallet): Promise<void> {
  await send(f.publicClient, stake(contributor, { contracts: f.contracts, amount: MIN_STAKE }));
}

/** Stakes the model's minimum for `contributor` and registers a fresh runner key on one shard. */
export async function registerTestRunner(
  f: TeeTeeFixture,
  contributor: Wallet,
  modelId: Hex,
  shardIndex: number,
  runner: RunnerKey = newRunnerKey(f),
): Promise<RunnerKey> {
  await send(f.publicClient, stake(contributor, { contracts: f.contracts, amount: MIN_STAKE }));
  const reg = registration(runner, modelId, shardIndex);
  const consent = await signRunnerConsent(runner.client, {
    contracts: f.contracts,
    registration: reg,
    contributor: contributor.account.address,
  });
  await send(
    f.publicClient,
    registerRunner(contributor, { contracts: f.contracts, registration: reg, consent }),
  );
  return runner;
}

export interface Market extends TeeTeeFixture {
  model: ModelParams;
  route: Address[];
  runners: RunnerKey[];
}

/** A model with `count` shards, one runner per shard (contributor i runs shard i), and a funded buyer. */
export async function marketFixture(count: number): Promise<Market> {
  const f = await deployFixture();
  const model = await registerTestModel(f, count);
  const runners: RunnerKey[] = [];
  for (let i = 0; i < count; i++) {
    const contributor = f.contributors[i];
    assert.ok(contributor, "not enough accounts for the contributors");
    runners.push(await registerTestRunner(f, contributor, model.modelId, i));
  }
  await send(f.publicClient, deposit(f.buyer, { contracts: f.contracts, amount: 10n ** 12n }));
  return { ...f, model, runners, route: runners.map((r) => r.address) };
}

export function voucherFor(
  m: Market,
  amount: bigint,
  sessionId: Hex = keccak256(toHex("session 1")),
): Voucher {
  return { buyer: m.buyer.account.address, modelId: m.model.modelId, sessionId, route: m.route, amount };
}

export async function signedVoucher(
  m: Market,
  amount: bigint,
  sessionId?: Hex,
  signer: TeeTeeClient = m.buyer,
) {
  const voucher = voucherFor(m, amount, sessionId);
  return { voucher, signature: await signVoucher(signer, { contracts: m.contracts, voucher }) };
}

/** Cost of a request at the test model's prices. */
export function cost(inputTokens: bigint, outputTokens: bigint): bigint {
  return computeCost({
    inputTokens,
    outputTokens,
    inputPricePerMTok: INPUT_PRICE,
    outputPricePerMTok: OUTPUT_PRICE,
  });
}

export const fixtures = {
  deploy: deployFixture,
  market1: () => marketFixture(1),
  market2: () => marketFixture(2),
  market4: () => marketFixture(4),
  market8: () => marketFixture(8),
};

/**
 * The accounting invariant: each contract's token balance equals what it owes (staking: stakes + treasury;
 * escrow: deposits + credited earnings + treasury).
 */
export async function expectAccountingInvariant(f: TeeTeeFixture): Promise<void> {
  const c = { contracts: f.contracts };
  const [stakingBalance, totalStaked, stakingTreasury, escrowBalance, deposits, earnings, escrowTreasury] =
    await Promise.all([
      getTokenBalance(f.publicClient, { ...c, owner: f.contracts.staking }),
      getTotalStaked(f.publicClient, c),
      getStakingTreasuryBalance(f.publicClient, c),
      getTokenBalance(f.publicClient, { ...c, owner: f.contracts.paymentEscrow }),
      getTotalDeposits(f.publicClient, c),
      getTotalEarnings(f.publicClient, c),
      getEscrowTreasuryBalance(f.publicClient, c),
    ]);
  assert.equal(stakingBalance, totalStaked + stakingTreasury, "staking balance != stakes + treasury");
  assert.equal(
    escrowBalance,
    deposits + earnings + escrowTreasury,
    "escrow balance != deposits + earnings + treasury",
  );
}
