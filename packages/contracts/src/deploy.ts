/**
 * Deploys the TeeTee contracts (and a TestToken on local chains), grants their roles and records the addresses
 * in `packages/contracts/deployments/<chainId>.json`.
 *
 * The one deployment of TeeTee: `await deployTeeTee({ walletClient, publicClient })`. `teetee deploy contracts`
 * (the CLI, reading keys and RPC URLs from `.env`), the local network (`@teetee/devnet`) and the tests all call it.
 */

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { TeeTeeError } from "@teetee/errors";
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import {
  modelRegistryAbi,
  paymentEscrowAbi,
  receiptSlasherAbi,
  runnerRegistryAbi,
  stakingAbi,
  testTokenAbi,
} from "./abi.js";
import {
  modelRegistryBytecode,
  paymentEscrowBytecode,
  receiptSlasherBytecode,
  runnerRegistryBytecode,
  stakingBytecode,
  testTokenBytecode,
} from "./bytecode.js";
import { isLocalChainId } from "./chains.js";
import { type Deployment, deploymentsDir } from "./deployments.js";

/** Seconds a DEFAULT_ADMIN_ROLE transfer waits by default: long enough for anyone watching to react. */
export const defaultAdminDelay = 2 * 24 * 3600;

export interface DeployTeeTeeOptions {
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  publicClient: PublicClient;
  /** The payment token; required off local chains, where a TestToken is deployed when omitted. */
  paymentToken?: Address;
  /**
   * Admin of every contract (DEFAULT_ADMIN_ROLE); defaults to the deployer. Every contract moves its admin
   * in two steps: the deployer begins the transfer and `admin` accepts it
   * (`acceptDefaultAdminTransfer`) once `adminDelay` has passed.
   */
  admin?: Address;
  /** Seconds a DEFAULT_ADMIN_ROLE transfer (or delay change) waits before it can be accepted. Default 2 days. */
  adminDelay?: number;
  /** Receives fees and slashed stake; defaults to the deployer. */
  treasury?: Address;
  /** The protocol's part of each payment. Default 500 (5%). */
  protocolFeeBps?: number;
  /** Seconds stake unbonds. Default 7 days. */
  unbondingPeriod?: bigint;
  /** Seconds a buyer's withdrawal (or a signer revocation) thaws. Default 1 day. */
  thawPeriod?: bigint;
  /** The reporter's part of an equivocation slash (ReceiptSlasher), at most 5000. Default 1000 (10%). */
  reporterShareBps?: number;
  /** Accounts granted CURATOR_ROLE; default: the deployer. Only possible while the deployer is admin. */
  curators?: readonly Address[];
  /** Accounts granted SLASHER_ROLE besides the ReceiptSlasher (which always holds it): those who slash on
   * divergence found by re-execution. */
  slashers?: readonly Address[];
  /** Accounts granted RUNNER_ADMIN_ROLE. */
  runnerAdmins?: readonly Address[];
  /** Where to write `<chainId>.json`; `false` writes nothing. Default: packages/contracts/deployments. */
  outDir?: string | false;
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
}

export class DeployError extends TeeTeeError {
  override name = "DeployError" as const;
}

async function deploy(
  options: DeployTeeTeeOptions,
  name: string,
  abi: Abi,
  bytecode: Hex,
  args: readonly unknown[],
): Promise<{ address: Address; blockNumber: bigint }> {
  const { walletClient, publicClient } = options;
  const hash = await walletClient.deployContract({
    abi,
    bytecode,
    args,
    account: walletClient.account,
    chain: walletClient.chain,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) {
    throw new DeployError(`Deploying ${name} failed (transaction ${hash}).`);
  }
  options.log?.(`${name.padEnd(15)} ${receipt.contractAddress}`);
  return { address: receipt.contractAddress, blockNumber: receipt.blockNumber };
}

async function grant(
  options: DeployTeeTeeOptions,
  contract: Address,
  roleName: "CURATOR_ROLE" | "LOCKER_ROLE" | "SLASHER_ROLE" | "RUNNER_ADMIN_ROLE",
  abi: typeof modelRegistryAbi | typeof stakingAbi | typeof runnerRegistryAbi,
  member: Address,
): Promise<void> {
  const { walletClient, publicClient } = options;
  const role = (await publicClient.readContract({
    address: contract,
    abi: abi as Abi,
    functionName: roleName,
  })) as Hex;
  const hash = await walletClient.writeContract({
    address: contract,
    abi: modelRegistryAbi,
    functionName: "grantRole",
    args: [role, member],
    account: walletClient.account,
    chain: walletClient.chain,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success")
    throw new DeployError(`Granting ${roleName} to ${member} failed (${hash}).`);
  options.log?.(`granted ${roleName} on ${contract} to ${member}`);
}

async function resolveToken(options: DeployTeeTeeOptions, chainId: number) {
  if (options.paymentToken !== undefined) return { address: options.paymentToken, blockNumber: undefined };
  if (!isLocalChainId(chainId)) {
    throw new DeployError(
      `Chain ${chainId} is not a local chain: set the payment token (TEETEE_PAYMENT_TOKEN or paymentToken).`,
    );
  }
  return deploy(options, "TestToken", testTokenAbi, testTokenBytecode, []);
}

/** Writes a deployment as `<dir>/<chainId>.json` and returns the file's path. */
export async function writeDeployment(deployment: Deployment, dir: string = deploymentsDir): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${deployment.chainId}.json`);
  await writeFile(file, `${JSON.stringify(deployment, null, 2)}\n`);
  return file;
}

/**
 * Deploys ModelRegistry, Staking, RunnerRegistry, PaymentEscrow and ReceiptSlasher (plus a TestToken on a local
 * chain without a payment token), gives the runner registry LOCKER_ROLE and the receipt slasher SLASHER_ROLE on
 * staking, grants the requested roles and, unless
 * `outDir` is false, writes the deployment file.
 */
export async function deployTeeTee(options: DeployTeeTeeOptions): Promise<Deployment> {
  const deployer = options.walletClient.account.address;
  const admin = options.admin ?? deployer;
  const treasury = options.treasury ?? deployer;
  const chainId = await options.publicClient.getChainId();
  const token = await resolveToken(options, chainId);
  const adminDelay = options.adminDelay ?? defaultAdminDelay;
  const models = await deploy(options, "ModelRegistry", modelRegistryAbi, modelRegistryBytecode, [
    deployer,
    adminDelay,
    options.protocolFeeBps ?? 500,
  ]);
  const staking = await deploy(options, "Staking", stakingAbi, stakingBytecode, [
    token.address,
    deployer,
    adminDelay,
    treasury,
    options.unbondingPeriod ?? 7n * 24n * 3600n,
  ]);
  const runners = await deploy(options, "RunnerRegistry", runnerRegistryAbi, runnerRegistryBytecode, [
    models.address,
    staking.address,
    deployer,
    adminDelay,
  ]);
  const escrow = await deploy(options, "PaymentEscrow", paymentEscrowAbi, paymentEscrowBytecode, [
    token.address,
    models.address,
    runners.address,
    deployer,
    adminDelay,
    treasury,
    options.thawPeriod ?? 24n * 3600n,
  ]);
  const receiptSlasher = await deploy(options, "ReceiptSlasher", receiptSlasherAbi, receiptSlasherBytecode, [
    runners.address,
    models.address,
    staking.address,
    options.reporterShareBps ?? 1000,
  ]);
  await grant(options, staking.address, "LOCKER_ROLE", stakingAbi, runners.address);
  await grant(options, staking.address, "SLASHER_ROLE", stakingAbi, receiptSlasher.address);
  for (const curator of options.curators ?? [deployer]) {
    await grant(options, models.address, "CURATOR_ROLE", modelRegistryAbi, curator);
  }
  for (const slasher of options.slashers ?? []) {
    await grant(options, staking.address, "SLASHER_ROLE", stakingAbi, slasher);
  }
  for (const runnerAdmin of options.runnerAdmins ?? []) {
    await grant(options, runners.address, "RUNNER_ADMIN_ROLE", runnerRegistryAbi, runnerAdmin);
  }
  if (admin !== deployer) {
    await beginAdminTransfer(options, admin, [
      models.address,
      staking.address,
      runners.address,
      escrow.address,
    ]);
  }

  const deployment: Deployment = {
    chainId,
    token: token.address,
    modelRegistry: models.address,
    staking: staking.address,
    runnerRegistry: runners.address,
    paymentEscrow: escrow.address,
    receiptSlasher: receiptSlasher.address,
    treasury,
    startBlock: Number(token.blockNumber ?? models.blockNumber),
  };
  if (options.outDir !== false) {
    const file = await writeDeployment(deployment, options.outDir ?? deploymentsDir);
    options.log?.(`wrote ${file}`);
  }
  return deployment;
}

/**
 * Starts the two-step DEFAULT_ADMIN_ROLE transfer to `admin` on the contracts under AccessControlDefaultAdminRules;
 * `admin` completes it with `acceptDefaultAdminTransfer` once the admin delay has passed.
 */
async function beginAdminTransfer(
  options: DeployTeeTeeOptions,
  admin: Address,
  contracts: readonly Address[],
) {
  const { walletClient, publicClient } = options;
  for (const address of contracts) {
    const hash = await walletClient.writeContract({
      address,
      abi: modelRegistryAbi,
      functionName: "beginDefaultAdminTransfer",
      args: [admin],
      account: walletClient.account,
      chain: walletClient.chain,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      throw new DeployError(`beginDefaultAdminTransfer on ${address} failed (${hash}).`);
  }
  options.log?.(
    `began DEFAULT_ADMIN_ROLE transfer to ${admin}: it calls acceptDefaultAdminTransfer after the delay`,
  );
}
