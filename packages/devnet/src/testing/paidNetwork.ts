/**
 * Paid runner processes and a funded buyer on a runner test network (`packages/devnet/src/testing/localNetwork.ts`), for
 * the gateway's end-to-end test and the payments benchmark.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  allocate,
  allocationId,
  approveToken,
  authorizeSigner,
  deposit,
  getAllocation,
  getEscrowAccount,
  mintTestToken,
  setPrices,
} from "@teetee/sdk/contracts";
import { formatApiKey } from "@teetee/sdk/payments";
import { bytesToHex, createWalletClient, type Hash, type Hex, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { freePort } from "../localChain.js";
import { RUNNER_ENTRY } from "../services.js";
import { repoRoot, type TestNetwork } from "./localNetwork.js";

const PAID_RUNNER = RUNNER_ENTRY;

export type PaidRunner = {
  process: ChildProcess;
  url: string;
  address: Hex;
  shardIndex: number;
  output: () => string;
};

/** Starts a runner (`packages/runner/src/main.ts`, payments on) for a shard (its contributor is account shardIndex + 1) and waits for its attestation. */
export async function spawnPaidRunner(
  network: TestNetwork,
  shardIndex: number,
  dataDir: string,
  settle: { pollMs: number; idleMs: number; threshold: bigint },
): Promise<PaidRunner> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const contributorKey = bytesToHex(network.chain.accounts(shardIndex + 1).getHdKey().privateKey!);
  const child = spawn(
    "pnpm",
    [
      "exec",
      "tsx",
      PAID_RUNNER,
      ...["--model-dir", network.shardDir, "--shard", String(shardIndex), "--port", String(port)],
      ...["--rpc-url", network.chain.rpcUrl, "--runner-registry", network.contracts.runnerRegistry],
      ...["--model-registry", network.contracts.modelRegistry, "--data-dir", dataDir],
      ...["--dstack-endpoint", network.devTees[shardIndex]!.url, "--threads", "1"],
    ],
    {
      cwd: repoRoot,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        TEETEE_LOG_LEVEL: "warn",
        TEETEE_CONTRIBUTOR_KEY: contributorKey,
        TEETEE_PAYMENT_ESCROW: network.contracts.paymentEscrow,
        TEETEE_SETTLE_POLL_MS: String(settle.pollMs),
        TEETEE_SETTLE_IDLE_MS: String(settle.idleMs),
        TEETEE_SETTLE_THRESHOLD: String(settle.threshold),
      },
    },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`runner exited\n${output}`);
    const document = await fetch(`${url}/v1/attestation`).then(
      (r) => (r.ok ? (r.json() as Promise<{ runner: Hex }>) : undefined),
      () => undefined,
    );
    if (document !== undefined) {
      return { process: child, url, address: document.runner, shardIndex, output: () => output };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stopPaidRunner({ process: child });
  throw new Error(`runner did not start\n${output}`);
}

export function stopPaidRunner(
  runner: Pick<PaidRunner, "process">,
  signal: NodeJS.Signals = "SIGTERM",
): void {
  const child = runner.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

export type FundedBuyer = { address: Hex; apiKey: string; deposit: bigint; routes: Hex[][] };

/**
 * Sets the model's prices (as its curator) and funds a fresh buyer with a deposit, an authorised API key and an
 * equal allocation to each of `routes` (what their runners admit requests against), out of the deposit.
 */
export async function fundBuyer(
  network: TestNetwork,
  options: { inputPrice: bigint; outputPrice: bigint; deposit: bigint; spendLimit: bigint; routes: Hex[][] },
): Promise<FundedBuyer> {
  const { publicClient, contracts } = network;
  const { chain } = publicClient;
  const send = async (hash: Promise<Hash>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
  };
  const transport = http(network.chain.rpcUrl);
  const admin = createWalletClient({ account: network.chain.accounts(0), chain, transport });
  await send(
    setPrices(admin, {
      contracts,
      modelId: network.modelId,
      inputPricePerMTok: options.inputPrice,
      outputPricePerMTok: options.outputPrice,
    }),
  );
  const buyer = privateKeyToAccount(generatePrivateKey());
  await send(admin.sendTransaction({ to: buyer.address, value: 10n ** 18n, chain: chain ?? null }));
  const wallet = createWalletClient({ account: buyer, chain, transport });
  await send(mintTestToken(wallet, { contracts, to: buyer.address, amount: options.deposit }));
  await send(approveToken(wallet, { contracts, spender: contracts.paymentEscrow, amount: options.deposit }));
  await send(deposit(wallet, { contracts, amount: options.deposit }));
  const share = options.deposit / BigInt(options.routes.length);
  for (const route of options.routes) {
    await send(allocate(wallet, { contracts, modelId: network.modelId, route, amount: share }));
  }
  const sessionPrivateKey = generatePrivateKey();
  const expiry = BigInt(Math.floor(Date.now() / 1000) + 86_400);
  const signer = privateKeyToAccount(sessionPrivateKey).address;
  await send(authorizeSigner(wallet, { contracts, signer, spendLimit: options.spendLimit, expiry }));
  return {
    address: buyer.address,
    apiKey: formatApiKey({ buyer: buyer.address, sessionPrivateKey }),
    deposit: options.deposit,
    routes: options.routes,
  };
}

/** What the buyer still holds in escrow: its balance plus what is left of its route allocations. */
export async function escrowHeld(network: TestNetwork, buyer: FundedBuyer): Promise<bigint> {
  const { publicClient, contracts } = network;
  const { balance } = await getEscrowAccount(publicClient, { contracts, buyer: buyer.address });
  const allocations = await Promise.all(
    buyer.routes.map((route) =>
      getAllocation(publicClient, {
        contracts,
        allocationId: allocationId({ buyer: buyer.address, modelId: network.modelId, route }),
      }),
    ),
  );
  return allocations.reduce((sum, a) => sum + a.amount, balance);
}
