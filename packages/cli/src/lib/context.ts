import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type Deployment,
  DeploymentError,
  getDeployment,
  parseDeployment,
} from "@teetee/contracts/deployments";
import { defineChainAt, type TeeTeeContracts } from "@teetee/sdk/contracts";
import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  erc20Abi,
  type Hash,
  http,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { CliError, configError, ExitCode, isNetworkError } from "./errors.js";
import type { CliIo } from "./io.js";
import { type KeyOptions, resolveAccount } from "./keys.js";

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions extends KeyOptions {
  rpcUrl?: string;
  deployment?: string;
  json?: boolean;
}

export interface TokenInfo {
  decimals: number;
  symbol: string;
}

export interface ChainContext {
  io: CliIo;
  rpcUrl: string;
  chain: Chain;
  publicClient: PublicClient;
  deployment: Deployment;
  contracts: TeeTeeContracts;
  token: TokenInfo;
}

export interface WalletContext extends ChainContext {
  account: Account;
  walletClient: WalletClient<Transport, Chain, Account>;
  /** Sends a transaction, waits for it and records its gas; a revert surfaces as the SDK's decoded error. */
  send: (label: string, write: () => Promise<Hash>) => Promise<TransactionReceipt>;
  /** Transactions sent so far by `send`. */
  transactions: { label: string; hash: Hash; gasUsed: bigint }[];
}

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

export function rpcUrlOf(io: CliIo, options: GlobalOptions): string {
  return options.rpcUrl ?? io.env["TEETEE_RPC_URL"] ?? DEFAULT_RPC_URL;
}

async function chainIdAt(rpcUrl: string): Promise<number> {
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 10_000 }) });
  try {
    return await probe.getChainId();
  } catch (error) {
    throw new CliError(`Cannot reach the chain at ${rpcUrl}.`, {
      exitCode: ExitCode.network,
      hint: "Start it (pnpm start) or pass --rpc-url / set TEETEE_RPC_URL.",
      cause: error,
    });
  }
}

function loadDeployment(io: CliIo, options: GlobalOptions, chainId: number): Deployment {
  const file = options.deployment ?? io.env["TEETEE_DEPLOYMENT"];
  try {
    if (file === undefined) return getDeployment(chainId);
    const path = resolve(io.cwd, file);
    const deployment = parseDeployment(JSON.parse(readFileSync(path, "utf8")), path);
    if (deployment.chainId !== chainId) {
      throw configError(
        `The deployment ${file} is for chain ${deployment.chainId}, but the RPC is chain ${chainId}.`,
      );
    }
    return deployment;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const message = error instanceof DeploymentError ? error.message : `Cannot read the deployment ${file}.`;
    throw configError(
      message,
      "Pass --deployment FILE (or TEETEE_DEPLOYMENT), or deploy with `teetee deploy contracts`.",
    );
  }
}

/** Connects to the chain and the TeeTee deployment on it, checking both answer before any command runs. */
export async function connect(io: CliIo, options: GlobalOptions): Promise<ChainContext> {
  const rpcUrl = rpcUrlOf(io, options);
  const chainId = await chainIdAt(rpcUrl);
  const chain = defineChainAt({ id: chainId, rpcUrl });
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient;
  const deployment = loadDeployment(io, options, chainId);
  const code = await publicClient.getCode({ address: deployment.modelRegistry }).catch((error: unknown) => {
    throw isNetworkError(error)
      ? new CliError(`Lost the chain at ${rpcUrl}.`, { exitCode: ExitCode.network })
      : error;
  });
  if (code === undefined || code === "0x") {
    throw configError(
      `No TeeTee contracts at ${deployment.modelRegistry} on chain ${chainId}: the deployment file is stale.`,
      "A restarted local chain forgets its contracts: redeploy, or point --deployment at the current file.",
    );
  }
  const [decimals, symbol] = await Promise.all([
    publicClient.readContract({ address: deployment.token, abi: erc20Abi, functionName: "decimals" }),
    publicClient.readContract({ address: deployment.token, abi: erc20Abi, functionName: "symbol" }),
  ]);
  const { token, modelRegistry, staking, runnerRegistry, paymentEscrow, receiptSlasher } = deployment;
  return {
    io,
    rpcUrl,
    chain,
    publicClient,
    deployment,
    contracts: { token, modelRegistry, staking, runnerRegistry, paymentEscrow, receiptSlasher },
    token: { decimals, symbol },
  };
}

/** `connect` plus the signing account, for commands that send transactions. */
export async function connectWallet(io: CliIo, options: GlobalOptions): Promise<WalletContext> {
  const account = await resolveAccount(io, options);
  const context = await connect(io, options);
  const walletClient = createWalletClient({ account, chain: context.chain, transport: http(context.rpcUrl) });
  const transactions: WalletContext["transactions"] = [];
  const send = async (label: string, write: () => Promise<Hash>) => {
    const hash = await write();
    const receipt = await context.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      throw new CliError(`${label}: transaction ${hash} reverted.`, { exitCode: ExitCode.revert });
    }
    transactions.push({ label, hash, gasUsed: receipt.gasUsed });
    return receipt;
  };
  return { ...context, account, walletClient, send, transactions };
}
