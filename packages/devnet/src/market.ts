/**
 * A funded TeeTee market on a running chain, for payment tests and benchmarks: contracts deployed, a model with
 * `shardCount` shards registered, one runner key per shard registered by its own contributor (placeholder quote
 * hashes: no quote verifier is set), and a buyer with a deposit and an authorised API key.
 */

import { deployTeeTee } from "@teetee/contracts/deploy";
import type { Deployment } from "@teetee/contracts/deployments";
import {
  allocate,
  approveToken,
  authorizeSigner,
  defineChainAt,
  deposit,
  type ModelParams,
  mintTestToken,
  registerModel,
  registerRunner,
  signRunnerConsent,
  stake,
} from "@teetee/sdk/contracts";
import { type ApiKey, formatApiKey, parseApiKey } from "@teetee/sdk/payments";
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hash,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import type { LocalChain } from "./localChain.js";

export type Wallet = WalletClient<Transport, Chain, Account>;

export type PaymentMarket = {
  chain: Chain;
  publicClient: PublicClient;
  deployment: Deployment;
  admin: Wallet;
  buyer: Wallet;
  contributors: Wallet[];
  model: ModelParams;
  runners: PrivateKeyAccount[];
  route: Address[];
  apiKey: ApiKey;
  apiKeyString: string;
  wallet: (account: Account) => Wallet;
  send: (hash: Promise<Hash> | Hash) => Promise<void>;
};

export type PaymentMarketOptions = {
  shardCount?: number;
  protocolFeeBps?: number;
  thawPeriod?: bigint;
  inputPricePerMTok?: bigint;
  outputPricePerMTok?: bigint;
  deposit?: bigint;
  /** What the buyer allocates to the registered runners' route (what they admit requests against). Default half the deposit. */
  allocation?: bigint;
  spendLimit?: bigint;
  /** Model parameters to register instead of generated ones (shards, prices, compose hashes). */
  model?: ModelParams;
  /** Skip registering runners (real runner processes register themselves). */
  registerRunners?: boolean;
};

export const TEST_COMPOSE_HASH: Hex = keccak256(toHex("compose: teetee-runner v1"));
/** The OS image the placeholder runners claim to boot (they carry no quote). */
export const TEST_OS_IMAGE: Hex = keccak256(toHex("os image: dstack-0.5 measured"));

export function shareSpec(count: number, feeBps: number): number[] {
  const total = 10_000 - feeBps;
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? total - Math.floor(total / count) * (count - 1) : Math.floor(total / count),
  );
}

export async function createPaymentMarket(
  local: LocalChain,
  options: PaymentMarketOptions = {},
): Promise<PaymentMarket> {
  const shardCount = options.shardCount ?? options.model?.shards.length ?? 3;
  const feeBps = options.protocolFeeBps ?? 500;
  const chain = defineChainAt({ id: local.chainId, rpcUrl: local.rpcUrl, name: "local" });
  const transport = http(local.rpcUrl);
  const publicClient = createPublicClient({ chain, transport }) as PublicClient;
  const wallet = (account: Account): Wallet => createWalletClient({ account, chain, transport });
  const send = async (hash: Promise<Hash> | Hash) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
  };
  const admin = wallet(local.accounts(0));
  const buyer = wallet(local.accounts(3));
  const contributors = Array.from({ length: shardCount }, (_, i) => wallet(local.accounts(6 + i)));
  const deployment = await deployTeeTee({
    walletClient: admin,
    publicClient,
    treasury: local.accounts(1).address,
    protocolFeeBps: feeBps,
    thawPeriod: options.thawPeriod ?? 3600n,
    outDir: false,
  });
  const contracts = deployment;
  for (const actor of [buyer, ...contributors]) {
    await send(mintTestToken(actor, { contracts, to: actor.account.address, amount: 10n ** 18n }));
    for (const spender of [contracts.staking, contracts.paymentEscrow]) {
      await send(approveToken(actor, { contracts, spender, amount: 2n ** 255n }));
    }
  }
  const shares = shareSpec(shardCount, feeBps);
  const model: ModelParams = options.model ?? {
    modelId: keccak256(toHex(`payment market ${shardCount}`)),
    tokenizerHash: keccak256(toHex("tokenizer")),
    numLayers: shardCount * 2,
    inputPricePerMTok: options.inputPricePerMTok ?? 2_000_000n,
    outputPricePerMTok: options.outputPricePerMTok ?? 6_000_000n,
    minStake: 1_000_000n,
    attestationTtl: 3600n,
    shards: shares.map((shareBps, i) => ({
      firstLayer: i * 2,
      endLayer: (i + 1) * 2,
      weightsHash: keccak256(toHex(`weights ${i}`)),
      shareBps,
    })),
    composeHashes: [TEST_COMPOSE_HASH],
    osImages: [TEST_OS_IMAGE],
  };
  await send(registerModel(admin, { contracts, model }));
  const runners: PrivateKeyAccount[] = [];
  if (options.registerRunners !== false) {
    for (const [i, contributor] of contributors.entries()) {
      runners.push(await registerPlaceholderRunner({ contributor, contracts, model, shardIndex: i, send }));
    }
  }
  const deposited = options.deposit ?? 10n ** 15n;
  await send(deposit(buyer, { contracts, amount: deposited }));
  const route = runners.map((r) => r.address);
  const allocation = options.allocation ?? deposited / 2n;
  if (route.length > 0 && allocation > 0n) {
    await send(allocate(buyer, { contracts, modelId: model.modelId, route, amount: allocation }));
  }
  const sessionPrivateKey = generatePrivateKey();
  const apiKeyString = formatApiKey({ buyer: buyer.account.address, sessionPrivateKey });
  const apiKey = parseApiKey(apiKeyString);
  const expiry = BigInt(Math.floor(Date.now() / 1000)) + 30n * 86_400n;
  await send(
    authorizeSigner(buyer, {
      contracts,
      signer: apiKey.signer.address,
      spendLimit: options.spendLimit ?? 10n ** 15n,
      expiry,
    }),
  );
  return {
    chain,
    publicClient,
    deployment,
    admin,
    buyer,
    contributors,
    model,
    runners,
    route,
    apiKey,
    apiKeyString,
    wallet,
    send,
  };
}

async function registerPlaceholderRunner(parameters: {
  contributor: Wallet;
  contracts: Deployment;
  model: ModelParams;
  shardIndex: number;
  send: (hash: Promise<Hash>) => Promise<void>;
}): Promise<PrivateKeyAccount> {
  const { contributor, contracts, model, shardIndex, send } = parameters;
  const runner = privateKeyToAccount(generatePrivateKey());
  await send(stake(contributor, { contracts, amount: model.minStake }));
  const registration = {
    runner: runner.address,
    modelId: model.modelId,
    shardIndex,
    endpoint: `http://127.0.0.1:1/${runner.address}`,
    publicKey: `0x${runner.publicKey.slice(4)}` as Hex,
    quoteHash: keccak256(toHex(`quote of ${runner.address}`)),
    composeHash: model.composeHashes[0] ?? TEST_COMPOSE_HASH,
    osImage: model.osImages[0] ?? TEST_OS_IMAGE,
    deadline: 2n ** 40n,
  };
  const runnerClient = createWalletClient({
    account: runner,
    chain: contributor.chain,
    transport: http(contributor.transport.url),
  });
  const consent = await signRunnerConsent(runnerClient, {
    contracts,
    registration,
    contributor: contributor.account.address,
  });
  await send(registerRunner(contributor, { contracts, registration, consent }));
  return runner;
}
