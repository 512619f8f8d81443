import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDeployment } from "@teetee/contracts";
import { getEarnings, getEscrowAccount, getModel, getSessionSigner, getStake } from "@teetee/sdk";
import { type Address, createPublicClient, type Hex, http, type PublicClient } from "viem";
import { hardhat } from "viem/chains";
import { type LocalChain, startLocalChain } from "../src/devnet/localChain.js";

type Summary = {
  chainId: number;
  deploymentFile: string;
  modelId: Hex;
  composeHash: Hex;
  prices: { inputPricePerMTok: string; outputPricePerMTok: string; minStake: string };
  shards: { index: number; layerStart: number; layerEnd: number; shareBps: number; weightsHash: Hex }[];
  contributors: { name: string; address: Address; staked: string; locked: string; earnings: string }[];
  buyer: { address: Address; escrowBalance: string; signer: Address; spendLimit: string; spent: string };
  gas: { total: string; byActor: Record<string, string> };
  apiKey: string;
};

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
let chain: LocalChain;
let client: PublicClient;
let summary: Summary;
let exitCode: number | null;
let stderr = "";

beforeAll(async () => {
  chain = await startLocalChain();
  client = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) }) as PublicClient;
  const out = mkdtempSync(join(tmpdir(), "teetee-start-"));
  const child = spawn("pnpm", ["start", "--once", "--json", "--rpc-url", chain.rpcUrl, "--out", out], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  exitCode = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const json = stdout.slice(stdout.indexOf("{"));
  summary = JSON.parse(json) as Summary;
}, 180_000);

afterAll(async () => {
  await chain?.stop();
});

test("pnpm start --once exits 0 after every step and names each step on stderr", () => {
  expect({ exitCode, stderr }).toMatchObject({ exitCode: 0 });
  expect(stderr).toMatch(/Deploy the contracts \.\.\. done/);
  expect(stderr).toMatch(/Register the model with the development compose hash \.\.\. done/);
  expect(summary.apiKey).toMatch(/^tt_[0-9a-f]{40}_[0-9a-f]{64}$/);
});

test("the printed model, shards and prices equal the chain's", async () => {
  const deployment = parseDeployment(JSON.parse(readFileSync(summary.deploymentFile, "utf8")));
  const contracts = deployment;
  const model = await getModel(client, { contracts, modelId: summary.modelId });
  expect(model.shardCount).toBe(3);
  expect(summary.shards).toHaveLength(3);
  expect(summary.prices).toEqual({
    inputPricePerMTok: String(model.inputPricePerMTok),
    outputPricePerMTok: String(model.outputPricePerMTok),
    minStake: String(model.minStake),
  });
});

test("the printed stakes, earnings, escrow balance and API key equal the chain's", async () => {
  const contracts = parseDeployment(JSON.parse(readFileSync(summary.deploymentFile, "utf8")));
  for (const contributor of summary.contributors) {
    const stake = await getStake(client, { contracts, staker: contributor.address });
    expect(contributor.staked).toBe(String(stake.staked));
    expect(contributor.locked).toBe(String(stake.locked));
    expect(contributor.earnings).toBe(
      String(await getEarnings(client, { contracts, contributor: contributor.address })),
    );
  }
  expect(summary.contributors.map((c) => c.staked)).toEqual(["200000000", "100000000", "100000000"]);
  const account = await getEscrowAccount(client, { contracts, buyer: summary.buyer.address });
  expect(summary.buyer.escrowBalance).toBe(String(account.balance));
  const signer = await getSessionSigner(client, {
    contracts,
    buyer: summary.buyer.address,
    signer: summary.buyer.signer,
  });
  expect(summary.buyer.spendLimit).toBe(String(signer.spendLimit));
  expect(summary.buyer.spent).toBe(String(signer.spent));
});

test("the printed gas of contributors and buyer equals the sum of their receipts on-chain", async () => {
  const latest = await client.getBlockNumber();
  const gasBySender = new Map<string, bigint>();
  for (let number = 0n; number <= latest; number++) {
    const block = await client.getBlock({ blockNumber: number, includeTransactions: true });
    for (const tx of block.transactions) {
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      gasBySender.set(
        tx.from.toLowerCase(),
        (gasBySender.get(tx.from.toLowerCase()) ?? 0n) + receipt.gasUsed,
      );
    }
  }
  for (const contributor of summary.contributors) {
    expect(summary.gas.byActor[contributor.name]).toBe(
      String(gasBySender.get(contributor.address.toLowerCase())),
    );
  }
  expect(summary.gas.byActor["buyer"]).toBe(String(gasBySender.get(summary.buyer.address.toLowerCase())));
  const total = Object.values(summary.gas.byActor).reduce((sum, gas) => sum + BigInt(gas), 0n);
  expect(summary.gas.total).toBe(String(total));
});
