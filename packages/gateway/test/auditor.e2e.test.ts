/**
 * The gateway's auditor end to end: a gateway at audit rate 1 over paid runner processes on a local chain, shard 0
 * served by two honest runners, shard 1 by an honest runner and a cheater (another model's weights, the local-chain
 * test seam). The auditor pays its re-executions from its own escrow, writes the evidence of every divergence,
 * which the shard's weights attribute to the cheater, and slashes the cheater's stake with the evidence's hash.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "@teetee/inference/typedArrayRealms";
import { stakingAbi } from "@teetee/contracts/abi";
import {
  escrowHeld,
  type FundedBuyer,
  fundBuyer,
  type PaidRunner,
  prepareShardedModel,
  spawnPaidRunner,
  startTestNetwork,
  stopPaidRunner,
  type TestNetwork,
} from "@teetee/devnet/testing";
import { grantRole, teeTeeRoles } from "@teetee/sdk/contracts";
import { routesOf } from "@teetee/sdk/payments";
import { auditEvidenceHash, checkAuditEvidence, parseAuditEvidence } from "@teetee/sdk/receipts";
import { createWalletClient, getAddress, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { cheaterOf } from "../src/Auditor.js";
import { parseGatewayConfig } from "../src/config.js";
import { type StartedGateway, startGateway } from "../src/startGateway.js";

const SHAPE = {
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 6,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 256,
};
const DEPOSIT = 10n ** 9n;
const SETTLE = { pollMs: 500, idleMs: 1000, threshold: 10n ** 30n };
const workDir = mkdtempSync(join(tmpdir(), "teetee-auditor-e2e-"));
const auditDir = join(workDir, "audits");

let network: TestNetwork;
let gateway: StartedGateway;
let buyer: FundedBuyer;
let auditor: FundedBuyer;
let cheater: PaidRunner;
const runners: PaidRunner[] = [];

async function until(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const real = await prepareShardedModel({
    dir: join(workDir, "real"),
    shardCount: 3,
    shape: { ...SHAPE, seed: 7 },
  });
  const other = await prepareShardedModel({
    dir: join(workDir, "other"),
    shardCount: 3,
    shape: { ...SHAPE, seed: 8 },
  });
  const cheatDir = join(workDir, "cheat");
  cpSync(real.shardDir, cheatDir, { recursive: true });
  for (const file of ["shard-1.onnx", "shard-1.onnx.data"])
    cpSync(join(other.shardDir, file), join(cheatDir, file));
  network = await startTestNetwork({ shardDir: real.shardDir });
  const spawn = async (shard: number, name: string) => {
    const runner = await spawnPaidRunner(network, shard, join(workDir, name), SETTLE);
    runners.push(runner);
    return runner;
  };
  await Promise.all([spawn(0, "r0"), spawn(0, "r0b"), spawn(1, "r1"), spawn(2, "r2")]);
  // The cheater: the registered manifest, shard 1's weights from another model (the seam spawnPaidRunner's
  // environment carries through).
  process.env.TEETEE_TEST_UNVERIFIED_WEIGHTS = "1";
  try {
    cheater = await spawnPaidRunner({ ...network, shardDir: cheatDir }, 1, join(workDir, "cheat-1"), SETTLE);
  } finally {
    delete process.env.TEETEE_TEST_UNVERIFIED_WEIGHTS;
  }
  runners.push(cheater);
  const prices = {
    inputPrice: 2_000_000_000n,
    outputPrice: 6_000_000_000n,
    deposit: DEPOSIT,
    spendLimit: DEPOSIT,
  };
  buyer = await fundBuyer(network, { ...prices, routes: routesOf(runners) });
  auditor = await fundBuyer(network, { ...prices, routes: routesOf(runners) });
  // The slasher: a fresh key granted SLASHER_ROLE on Staking by the deployer, with gas.
  const slasherKey = generatePrivateKey();
  const slasher = privateKeyToAccount(slasherKey);
  const { chain } = network.publicClient;
  const admin = createWalletClient({
    account: network.chain.accounts(0),
    chain,
    transport: http(network.chain.rpcUrl),
  });
  await network.publicClient.waitForTransactionReceipt({
    hash: await grantRole(admin, {
      address: network.contracts.staking,
      role: teeTeeRoles.SLASHER_ROLE,
      member: slasher.address,
    }),
  });
  await network.publicClient.waitForTransactionReceipt({
    hash: await admin.sendTransaction({ to: slasher.address, value: 10n ** 18n, chain: chain ?? null }),
  });
  const deploymentFile = join(workDir, "deployment.json");
  writeFileSync(
    deploymentFile,
    JSON.stringify({
      ...network.contracts,
      chainId: network.chain.chainId,
      treasury: network.chain.accounts(0).address,
      startBlock: 0,
    }),
  );
  gateway = await startGateway({
    config: parseGatewayConfig(
      [
        ...[
          "--model",
          `tiny=${real.shardDir}`,
          "--rpc-url",
          network.chain.rpcUrl,
          "--deployment",
          deploymentFile,
        ],
        ...["--port", "0", "--topology", "gateway", "--audit-rate", "1", "--audit-dir", auditDir],
      ],
      {
        TEETEE_LOG_LEVEL: "silent",
        TEETEE_HEALTH_INTERVAL_MS: "1000",
        TEETEE_AUDIT_KEY: auditor.apiKey,
        TEETEE_SLASHER_KEY: slasherKey,
      },
    ),
  });
  await until(
    async () =>
      gateway.pool.hasRoute(network.modelId, 3) && gateway.pool.runners(network.modelId, 1).length === 2,
  );
}, 400_000);

afterAll(async () => {
  await gateway?.close();
  for (const runner of runners) stopPaidRunner(runner);
  await network?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

type Answer = { id: string; teetee: { cost: string; route: { runner: string }[] } };

async function ask(prompt: string): Promise<Answer> {
  const response = await fetch(`${gateway.url}/v1/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${buyer.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "tiny", prompt, max_tokens: 4, temperature: 0 }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Answer;
}

describe("the gateway's auditor", () => {
  test("audits every request at rate 1 on replicas, paid by the auditor: the cheater's divergences are evidenced and slashed", async () => {
    const auditorBefore = await escrowHeld(network, auditor);
    const answers: Answer[] = [];
    for (const prompt of ["one two", "three four", "five six"]) answers.push(await ask(prompt));
    await gateway.auditor!.idle();
    const files = readdirSync(auditDir).sort();
    // Shard 0 has two honest runners: they agree and leave no file. Shard 1 always diverges (one of its two
    // runners cheats, whichever was audited), and the weights name the cheater each time.
    expect(files).toEqual(answers.map((a) => `${a.id}-shard-1.json`).sort());
    for (const file of files) {
      const json = readFileSync(join(auditDir, file), "utf8");
      const evidence = parseAuditEvidence(JSON.parse(json), file);
      const bound = await checkAuditEvidence(evidence);
      expect(bound).toMatchObject({ bound: true, problems: [] });
      expect([bound.auditedSigner, bound.replicaSigner]).toContain(getAddress(cheater.address));
      expect(await cheaterOf(evidence, network.shardDir)).toBe(getAddress(cheater.address));
    }
    expect(existsSync(join(auditDir, `${answers[0]!.id}-shard-0.json`))).toBe(false);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/teetee_gateway_audits_total\{outcome="diverged"\} 3/);

    // Slashed on-chain, against the cheater, with an evidence file's hash.
    const slashes = await network.publicClient.getContractEvents({
      address: network.contracts.staking,
      abi: stakingAbi,
      eventName: "Slashed",
      fromBlock: 0n,
    });
    expect(slashes.length).toBeGreaterThan(0);
    const hashes = files.map((f) => auditEvidenceHash(readFileSync(join(auditDir, f), "utf8")));
    for (const event of slashes) {
      expect(getAddress(event.args.runner!)).toBe(getAddress(cheater.address));
      expect(hashes).toContain(event.args.evidenceHash);
    }
    expect(slashes[0]!.args.slashed).toBeGreaterThan(0n);

    // The auditor's escrow paid for the re-executions; the buyer paid its own requests and nothing more.
    const charged = answers.reduce((sum, a) => sum + BigInt(a.teetee.cost), 0n);
    await until(async () => (await escrowHeld(network, buyer)) === buyer.deposit - charged);
    await until(async () => (await escrowHeld(network, auditor)) < auditorBefore);
    expect(await escrowHeld(network, buyer)).toBe(buyer.deposit - charged);
  }, 600_000);
});
