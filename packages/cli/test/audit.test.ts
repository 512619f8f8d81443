/**
 * The auditor against a cheating runner process: shard 1 is served by two runners, one honest and one started on
 * another model's weights while it claims the registered ones (the local-chain test seam). Requests alternate
 * between them; the auditor re-executes a sampled fraction on the other runner of each shard. The cheat is caught
 * within the bound the sampling rate gives, its evidence rechecks offline with `teetee audit check` against the
 * shard's real weights, and two honest runners agree.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "@teetee/inference/typedArrayRealms";
import { freePort } from "@teetee/devnet";
import {
  prepareShardedModel,
  type SpawnedRunner,
  spawnRunnerProcess,
  startTestNetwork,
  type TestNetwork,
} from "@teetee/devnet/testing";
import {
  AuditSampler,
  auditRoute,
  createPipelineSession,
  type RouteRunner,
  requestsToCatch,
} from "@teetee/sdk/pipeline";
import { type AuditEvidence, auditEvidenceJson, checkAuditEvidence } from "@teetee/sdk/receipts";
import { bytesToHex } from "viem";
import { parseJson, teetee } from "./helpers.js";

const SHAPE = {
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 6,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 256,
};
const NEW_TOKENS = 8;
/** The auditor's sampling rate and the cheater's share of shard 1's requests (routes alternate). */
const RATE = 0.25;
const SHARE = 0.5;
/** Requests within which the cheat is audited at least once but with probability 1e-3. */
const BOUND = requestsToCatch({ rate: RATE, share: SHARE, escapeChance: 1e-3 });

const workDir = mkdtempSync(join(tmpdir(), "teetee-audit-test-"));
let network: TestNetwork;
let honest: RouteRunner[];
let cheater: RouteRunner;
let honestReplica: RouteRunner;
const extra: Omit<SpawnedRunner, "shardIndex" | "dataDir">[] = [];

async function spawnShard1(name: string, modelDir: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const runner = await spawnRunnerProcess({
    args: [
      ...["--model-dir", modelDir, "--shard", "1", "--port", String(port)],
      ...["--rpc-url", network.chain.rpcUrl, "--runner-registry", network.contracts.runnerRegistry],
      ...["--model-registry", network.contracts.modelRegistry, "--data-dir", join(workDir, name)],
      ...["--dstack-endpoint", network.devTees[1]!.url, "--free"],
    ],
    env: { TEETEE_CONTRIBUTOR_KEY: bytesToHex(network.chain.accounts(2).getHdKey().privateKey!), ...env },
    url: `http://127.0.0.1:${port}`,
  });
  extra.push(runner);
  return { runner: runner.runner, endpoint: runner.endpoint, publicKey: runner.publicKey };
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
  // The cheat's folder: the registered manifest and shards, but shard 1's weights from another model.
  const cheatDir = join(workDir, "cheat");
  cpSync(real.shardDir, cheatDir, { recursive: true });
  for (const file of ["shard-1.onnx", "shard-1.onnx.data"])
    cpSync(join(other.shardDir, file), join(cheatDir, file));
  network = await startTestNetwork({ shardDir: real.shardDir });
  const spawned = await Promise.all([0, 1, 2].map((index) => network.spawnRunner(index)));
  honest = spawned.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey }));
  honestReplica = await spawnShard1("honest-1b", real.shardDir);
  cheater = await spawnShard1("cheat-1", cheatDir, { TEETEE_TEST_UNVERIFIED_WEIGHTS: "1" });
}, 300_000);

afterAll(async () => {
  await Promise.all(extra.map((runner) => runner.stop()));
  await network?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** A buyer's request over `route` (forwarding topology, greedy), as the gateway sends it. */
async function serve(route: RouteRunner[], prompt: number[]) {
  const session = createPipelineSession({ route });
  const tokens: number[] = [];
  try {
    let token = await session.prefill(prompt);
    tokens.push(token.tokenId);
    while (tokens.length < NEW_TOKENS) {
      token = await session.decode(token.tokenId);
      tokens.push(token.tokenId);
    }
  } finally {
    await session.close();
  }
  return tokens;
}

/** A deterministic stream in [0, 1) (mulberry32), so the sampled requests are the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let evidence: AuditEvidence;

describe("the auditor", () => {
  test(`catches a runner on other weights within ${BOUND} requests at audit rate ${RATE} (its share ${SHARE})`, async () => {
    expect(BOUND).toBe(52);
    const sampler = new AuditSampler({ rate: RATE, random: seeded(14) });
    const context = { chainId: network.chain.chainId, runnerRegistry: network.contracts.runnerRegistry };
    let caughtAt: number | undefined;
    for (let request = 1; request <= BOUND && caughtAt === undefined; request++) {
      const viaCheater = request % 2 === 1;
      const route = [honest[0]!, viaCheater ? cheater : honestReplica, honest[2]!];
      const prompt = [5 + request, 17, 42, 99, 7, 63];
      const completion = await serve(route, prompt);
      if (!sampler.shouldAudit()) continue;
      const audit = await auditRoute({
        ...context,
        modelId: network.modelId,
        route,
        replicas: [undefined, viaCheater ? honestReplica : cheater, undefined],
        promptTokenIds: prompt,
        completionTokenIds: completion,
      });
      // Either way round, shard 1's two runners disagree: the audit cannot yet say which is wrong.
      expect(audit.reproduced).toBe(true);
      expect(audit.shards.map((s) => s.status)).toEqual(["skipped", "diverged", "skipped"]);
      if (viaCheater) {
        caughtAt = request;
        evidence = audit.shards[1]!.evidence!;
      }
    }
    expect(caughtAt).toBeDefined();
    expect(evidence.shardIndex).toBe(1);
    const bound = await checkAuditEvidence(evidence);
    expect(bound).toMatchObject({ bound: true, problems: [] });
    expect(bound.auditedSigner).toBe(cheater.runner);
    expect(bound.replicaSigner).toBe(honestReplica.runner);
    expect(Math.max(...bound.errors)).toBeGreaterThan(0.1);
  }, 600_000);

  test("two honest runners of a shard agree on the same inputs (the tolerance's other side)", async () => {
    const prompt = [3, 1, 4, 1, 5, 9];
    const route = [honest[0]!, honest[1]!, honest[2]!];
    const completion = await serve(route, prompt);
    const audit = await auditRoute({
      chainId: network.chain.chainId,
      runnerRegistry: network.contracts.runnerRegistry,
      modelId: network.modelId,
      route,
      replicas: [undefined, honestReplica, undefined],
      promptTokenIds: prompt,
      completionTokenIds: completion,
      chunk: 4,
    });
    expect(audit.reproduced).toBe(true);
    expect(audit.shards[1]).toMatchObject({ status: "agreed" });
    expect(audit.shards[1]!.error).toBeLessThan(1e-4);
  }, 120_000);

  test("teetee audit check rechecks the evidence offline with the shard's weights and names the cheater", async () => {
    const file = join(workDir, "evidence.json");
    writeFileSync(file, JSON.stringify(auditEvidenceJson(evidence)));
    const run = await teetee(
      ["--json", "audit", "check", file, "--model-dir", network.shardDir],
      {},
      workDir,
    );
    expect(run.code).toBe(0);
    const result = parseJson<{ cheater: string; auditedError: number; replicaError: number; bound: boolean }>(
      run,
    );
    expect(result.bound).toBe(true);
    expect(result.cheater).toBe(cheater.runner);
    expect(result.replicaError).toBeLessThan(1e-4);
    expect(result.auditedError).toBeGreaterThan(0.1);
  }, 120_000);

  test("tampered evidence does not hold: the cheater's outputs swapped for the honest ones break its receipt", async () => {
    const tampered = {
      ...evidence,
      frames: evidence.frames.map((frame) => ({ ...frame, audited: frame.replica })),
    };
    const file = join(workDir, "tampered.json");
    writeFileSync(file, JSON.stringify(auditEvidenceJson(tampered)));
    const run = await teetee(["audit", "check", file, "--model-dir", network.shardDir], {}, workDir);
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/✗ Both receipts commit to these frames: the audited receipt's output/);
  }, 120_000);
});
