import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { paymentEscrowAbi } from "@teetee/contracts/abi";
import { parseDeployment } from "@teetee/contracts/deployments";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import {
  allocationId,
  computeCost,
  getAllocation,
  getEarnings,
  getEscrowAccount,
  getEscrowTreasuryBalance,
  getModel,
  getRunner,
  getSessionSigner,
  getStake,
  isOsImageAllowed,
} from "@teetee/sdk/contracts";
import { routesOf } from "@teetee/sdk/payments";
import { type Address, createPublicClient, type Hex, http, type PublicClient } from "viem";
import { hardhat } from "viem/chains";

type Summary = {
  chainId: number;
  deploymentFile: string;
  modelId: Hex;
  composeHash: Hex;
  osImage: Hex;
  prices: { inputPricePerMTok: string; outputPricePerMTok: string; minStake: string };
  shards: { index: number; layerStart: number; layerEnd: number; shareBps: number; weightsHash: Hex }[];
  contributors: { name: string; address: Address; staked: string; locked: string; earnings: string }[];
  buyer: {
    address: Address;
    escrowBalance: string;
    allocations: { route: Address[]; amount: string }[];
    signer: Address;
    spendLimit: string;
    spent: string;
  };
  runners: {
    name: string;
    shardIndex: number;
    runner: Address;
    contributor: Address;
    attestation: { verified: boolean; kind: string };
  }[];
  requests: {
    promptTokens: number;
    completionTokens: number;
    cost: string;
    channelId: Hex;
    voucherAmount: string;
    route: { shard: number; runner: Address; attestation: string }[];
  }[];
  totals: { promptTokens: number; completionTokens: number; cost: string; paid: string };
  treasury: { address: Address; balance: string };
  gas: { total: string; byActor: Record<string, string>; byCall: Record<string, string> };
  apiKey: string;
  gatewayUrl: string;
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
  try {
    summary = JSON.parse(json) as Summary;
  } catch {
    throw new Error(`pnpm start printed no summary (exit ${exitCode})\n${stderr}`);
  }
}, 240_000);

afterAll(async () => {
  await chain?.stop();
});

test("pnpm start --once exits 0 after every step and names each step on stderr", () => {
  expect({ exitCode, stderr }).toMatchObject({ exitCode: 0 });
  expect(stderr).toMatch(/Deploy the contracts \.\.\. done/);
  expect(stderr).toMatch(/Register the model with the development compose hash and OS image \.\.\. done/);
  expect(stderr).toMatch(/Start 4 runners .* done/);
  expect(stderr).toMatch(/Settle: the runners redeem the buyer's vouchers on-chain \.\.\. done/);
  expect(stderr).toMatch(/Stopping every process \.\.\. stopped/);
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
  // The buyer allocated to every route its runners make, and what is left of each is what the chain holds.
  const routes = routesOf(summary.runners.map((r) => ({ address: r.runner, shardIndex: r.shardIndex })));
  expect(summary.buyer.allocations.map((a) => a.route)).toEqual(routes);
  for (const { route, amount } of summary.buyer.allocations) {
    const id = allocationId({ buyer: summary.buyer.address, modelId: summary.modelId, route });
    expect(amount).toBe(String((await getAllocation(client, { contracts, allocationId: id })).amount));
  }
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
  let all = 0n;
  for (let number = 0n; number <= latest; number++) {
    const block = await client.getBlock({ blockNumber: number, includeTransactions: true });
    for (const tx of block.transactions) {
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      all += receipt.gasUsed;
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
  expect(summary.gas.total).toBe(String(all));
  const byCall = Object.values(summary.gas.byCall).reduce((sum, gas) => sum + BigInt(gas), 0n);
  expect(byCall).toBe(all);
  expect(BigInt(summary.gas.byCall["registerRunner"] ?? 0)).toBeGreaterThan(0n);
  expect(BigInt(summary.gas.byCall["redeemBatch"] ?? summary.gas.byCall["redeem"] ?? 0)).toBeGreaterThan(0n);
});

test("one runner per shard plus a replica, each registered to its contributor and verified", async () => {
  const contracts = parseDeployment(JSON.parse(readFileSync(summary.deploymentFile, "utf8")));
  expect(summary.runners.map((r) => [r.name, r.shardIndex])).toEqual([
    ["runner-0", 0],
    ["runner-1", 1],
    ["runner-2", 2],
    ["replica-0", 0],
  ]);
  expect(new Set(summary.runners.map((r) => r.runner)).size).toBe(4);
  for (const r of summary.runners) {
    expect(r.attestation).toMatchObject({ verified: true, kind: "dev" });
    const record = await getRunner(client, { contracts, runner: r.runner });
    expect(record).toMatchObject({ active: true, contributor: r.contributor, shardIndex: r.shardIndex });
    expect(record.modelId).toBe(summary.modelId);
    // Each runner booted the development TEE's OS image, the one the curator allowed.
    expect(record.osImage).toBe(summary.osImage);
  }
  expect(
    await isOsImageAllowed(client, { contracts, modelId: summary.modelId, osImage: summary.osImage }),
  ).toBe(true);
});

test("the printed tokens, costs, payment, earnings and treasury equal the chain's", async () => {
  const contracts = parseDeployment(JSON.parse(readFileSync(summary.deploymentFile, "utf8")));
  const model = await getModel(client, { contracts, modelId: summary.modelId });
  expect(summary.requests).toHaveLength(3);
  for (const request of summary.requests) {
    expect(request.completionTokens).toBeGreaterThan(0);
    expect(request.route.map((hop) => hop.attestation)).toEqual(["verified", "verified", "verified"]);
    expect(request.cost).toBe(
      String(
        computeCost({
          inputTokens: BigInt(request.promptTokens),
          outputTokens: BigInt(request.completionTokens),
          inputPricePerMTok: model.inputPricePerMTok,
          outputPricePerMTok: model.outputPricePerMTok,
        }),
      ),
    );
  }
  const sum = (pick: (r: Summary["requests"][number]) => number | bigint) =>
    summary.requests.reduce((total, r) => total + BigInt(pick(r)), 0n);
  expect(String(sum((r) => r.promptTokens))).toBe(String(summary.totals.promptTokens));
  expect(String(sum((r) => r.completionTokens))).toBe(String(summary.totals.completionTokens));
  expect(summary.totals.cost).toBe(String(sum((r) => BigInt(r.cost))));

  const logs = await client.getContractEvents({
    address: contracts.paymentEscrow,
    abi: paymentEscrowAbi,
    fromBlock: 0n,
    strict: true,
  });
  const paid = logs
    .filter((l) => l.eventName === "VoucherRedeemed")
    .reduce((total, l) => total + (l.args as { paid: bigint }).paid, 0n);
  expect(String(paid)).toBe(summary.totals.cost);
  expect(summary.totals.paid).toBe(summary.totals.cost);
  const account = await getEscrowAccount(client, { contracts, buyer: summary.buyer.address });
  const allocated = summary.buyer.allocations.reduce((sum, a) => sum + BigInt(a.amount), 0n);
  expect(50_000_000n - account.balance - allocated).toBe(BigInt(summary.totals.paid));

  const credited = new Map<string, bigint>();
  for (const log of logs.filter((l) => l.eventName === "EarningsCredited")) {
    const { contributor, amount } = log.args as { contributor: Address; amount: bigint };
    credited.set(contributor.toLowerCase(), (credited.get(contributor.toLowerCase()) ?? 0n) + amount);
  }
  for (const contributor of summary.contributors) {
    expect(BigInt(contributor.earnings)).toBeGreaterThan(0n);
    expect(contributor.earnings).toBe(String(credited.get(contributor.address.toLowerCase())));
  }
  const fees = logs
    .filter((l) => l.eventName === "FeeCredited")
    .reduce((total, l) => total + (l.args as { amount: bigint }).amount, 0n);
  expect(summary.treasury.balance).toBe(String(await getEscrowTreasuryBalance(client, { contracts })));
  expect(summary.treasury.balance).toBe(String(fees));
  const earned = summary.contributors.reduce((total, c) => total + BigInt(c.earnings), 0n);
  expect(earned + fees).toBe(paid);
});
