/**
 * A real local TeeTee network for runner tests and the pipeline benchmark: a Hardhat chain with the contracts
 * deployed, a sharded random-weight model registered, one dev-tee per runner, staked contributors, and runner
 * processes spawned exactly as an operator would (`pnpm exec tsx packages/runner/src/main.ts ...`).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployTeeTee } from "@teetee/contracts/deploy";
import { createDevTee, type DevTee } from "@teetee/dev-tee";
import { TeeTeeError } from "@teetee/errors";
import {
  loadManifest,
  type MakeTestModelParams,
  type Manifest,
  makeTestModel,
  modelIdOf,
  modelParamsOf,
  shardModel,
} from "@teetee/inference";
import {
  approveToken,
  defineChainAt,
  mintTestToken,
  registerModel,
  stake,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import type { RouteRunner } from "@teetee/sdk/pipeline";
import {
  bytesToHex,
  createPublicClient,
  createWalletClient,
  type Hash,
  type Hex,
  http,
  type PublicClient,
} from "viem";
import { freePort, type LocalChain, startLocalChain } from "../localChain.js";
import { repoRoot } from "../repoRoot.js";
import { RUNNER_ENTRY } from "../services.js";

export { repoRoot };
/** The runner's entry point, run through tsx by every runner process a test spawns. */
export const RUNNER_MAIN = RUNNER_ENTRY;
export const MIN_STAKE = 1_000_000n;

/** Writes a random-weight model and shards it (once per folder: later calls reuse the files). */
export async function prepareShardedModel(params: {
  dir: string;
  shardCount: number;
  shape: Omit<MakeTestModelParams, "dir">;
}): Promise<{ modelDir: string; shardDir: string; manifest: Manifest }> {
  const modelDir = join(params.dir, "model");
  const shardDir = join(params.dir, `shards-${params.shardCount}`);
  if (!existsSync(join(modelDir, "config.json"))) makeTestModel({ dir: modelDir, ...params.shape });
  if (!existsSync(join(shardDir, "manifest.json"))) {
    await shardModel({ modelDir, outDir: shardDir, shardCount: params.shardCount, quiet: true });
  }
  return { modelDir, shardDir, manifest: await loadManifest(shardDir) };
}

export type SpawnedRunner = RouteRunner & {
  url: string;
  shardIndex: number;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
};

export type TestNetwork = {
  chain: LocalChain;
  publicClient: PublicClient;
  contracts: TeeTeeContracts;
  modelId: Hex;
  manifest: Manifest;
  shardDir: string;
  devTees: DevTee[];
  /** Starts (or restarts) the runner of a shard with its own dev-tee and contributor. */
  spawnRunner: (
    shardIndex: number,
    options?: { extraArgs?: string[]; dataDir?: string; port?: number },
  ) => Promise<SpawnedRunner>;
  stop: () => Promise<void>;
};

async function send(publicClient: PublicClient, hash: Promise<Hash>): Promise<void> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
}

/** Chain, contracts, model registration and staked contributors; runners are spawned on demand. */
export async function startTestNetwork(params: {
  shardDir: string;
  runnerArgs?: string[];
}): Promise<TestNetwork> {
  const manifest = await loadManifest(params.shardDir);
  const modelId = modelIdOf(manifest);
  const shardCount = manifest.shards.length;
  const devTees = await Promise.all(
    manifest.shards.map((_, index) =>
      createDevTee({
        appCompose: JSON.stringify({ runner: "docker-compose", name: "teetee-runner-test" }),
        appName: `runner-${index}`,
      }),
    ),
  );
  const chain = await startLocalChain();
  const viemChain = defineChainAt({ id: chain.chainId, rpcUrl: chain.rpcUrl, name: "hardhat" });
  const publicClient = createPublicClient({
    chain: viemChain,
    transport: http(chain.rpcUrl),
  }) as PublicClient;
  const wallet = (index: number) =>
    createWalletClient({ account: chain.accounts(index), chain: viemChain, transport: http(chain.rpcUrl) });
  const admin = wallet(0);
  const contracts = await deployTeeTee({ walletClient: admin, publicClient, outDir: false });
  const shareBps = Math.floor(9500 / shardCount);
  await send(
    publicClient,
    registerModel(admin, {
      contracts,
      model: modelParamsOf(manifest, {
        inputPricePerMTok: 1000n,
        outputPricePerMTok: 3000n,
        minStake: MIN_STAKE,
        attestationTtl: 3600n,
        shareBps: manifest.shards.map((_, index) =>
          index === 0 ? 9500 - shareBps * (shardCount - 1) : shareBps,
        ),
        composeHashes: [...new Set(devTees.map((tee) => tee.identity.composeHash))],
        osImages: [...new Set(devTees.map((tee) => tee.osImage))],
      }),
    }),
  );
  for (let index = 0; index < shardCount; index++) {
    const contributor = wallet(index + 1);
    const to = contributor.account.address;
    await send(publicClient, mintTestToken(admin, { contracts, to, amount: MIN_STAKE * 10n }));
    await send(
      publicClient,
      approveToken(contributor, { contracts, spender: contracts.staking, amount: MIN_STAKE * 10n }),
    );
    await send(publicClient, stake(contributor, { contracts, amount: MIN_STAKE * 10n }));
  }
  const dataRoot = mkdtempSync(join(tmpdir(), "teetee-runner-"));
  const running = new Set<SpawnedRunner>();
  const spawnRunner: TestNetwork["spawnRunner"] = async (shardIndex, options = {}) => {
    const port = options.port ?? (await freePort());
    const dataDir = options.dataDir ?? join(dataRoot, `runner-${shardIndex}`);
    const contributorKey = bytesToHex(chain.accounts(shardIndex + 1).getHdKey().privateKey!);
    const runner = await spawnRunnerProcess({
      args: [
        "--model-dir",
        params.shardDir,
        "--shard",
        String(shardIndex),
        "--port",
        String(port),
        "--rpc-url",
        chain.rpcUrl,
        "--runner-registry",
        contracts.runnerRegistry,
        "--model-registry",
        contracts.modelRegistry,
        "--data-dir",
        dataDir,
        "--dstack-endpoint",
        devTees[shardIndex]!.url,
        // These runners test the pipeline; paid runners are tested with the gateway (packages/gateway/test).
        "--free",
        ...(params.runnerArgs ?? []),
        ...(options.extraArgs ?? []),
      ],
      env: { TEETEE_CONTRIBUTOR_KEY: contributorKey },
      url: `http://127.0.0.1:${port}`,
    });
    const spawned = { ...runner, shardIndex, dataDir };
    running.add(spawned);
    const stop = spawned.stop;
    spawned.stop = async () => {
      running.delete(spawned);
      await stop();
    };
    return spawned;
  };
  return {
    chain,
    publicClient,
    contracts,
    modelId,
    manifest,
    shardDir: params.shardDir,
    devTees,
    spawnRunner,
    stop: async () => {
      await Promise.all([...running].map((runner) => runner.stop()));
      await chain.stop();
      await Promise.all(devTees.map((tee) => tee.close()));
    },
  };
}

/** Spawns `main.ts` and resolves once its health endpoint answers (or rejects with its output if it exits). */
export async function spawnRunnerProcess(params: {
  args: string[];
  env?: Record<string, string>;
  url: string;
  timeoutMs?: number;
}): Promise<Omit<SpawnedRunner, "shardIndex" | "dataDir">> {
  const child = spawn("pnpm", ["exec", "tsx", RUNNER_MAIN, ...params.args], {
    cwd: repoRoot,
    env: { ...process.env, TEETEE_LOG_LEVEL: "warn", ...params.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
    await exited;
  };
  const deadline = Date.now() + (params.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new RunnerExitedError(child.exitCode, output);
    const attestation = await fetch(`${params.url}/v1/attestation`).then(
      (response) =>
        response.ok ? (response.json() as Promise<{ runner: `0x${string}`; publicKey: Hex }>) : undefined,
      () => undefined,
    );
    if (attestation !== undefined) {
      return {
        runner: attestation.runner,
        publicKey: attestation.publicKey,
        endpoint: params.url,
        url: params.url,
        process: child,
        output: () => output,
        stop,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`runner did not come up within ${params.timeoutMs ?? 90_000} ms\n${output}`);
}

export class RunnerExitedError extends TeeTeeError {
  override name = "RunnerExitedError" as const;
  constructor(
    readonly code: number,
    readonly output: string,
  ) {
    super(`runner exited with code ${code}\n${output}`);
  }
}

/** Runs a child process to its end; for start-up refusals. */
export async function runToExit(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const child = spawn("pnpm", ["exec", "tsx", RUNNER_MAIN, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.once("exit", (exit) => resolve(exit ?? -1)));
  return { code, output };
}
