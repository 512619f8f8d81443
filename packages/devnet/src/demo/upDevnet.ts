/**
 * The main job: brings up a local TeeTee network on Hardhat's chain, runs a demo through it and keeps it running
 * until Ctrl-C: contracts, a demo model in 3 shards, three staked contributors, one attested runner per shard plus
 * a replica (each with its own development TEE), the gateway, a buyer paying through the OpenAI client, settlement.
 *
 *   pnpm start                   the whole network and the demo; then keep running
 *   pnpm start --once            the same, then stop everything; exit 0 only when every step succeeded
 *   pnpm start --json            the summary as one JSON object on stdout (progress stays on stderr)
 *   pnpm start --model DIR       shard and register this Hugging Face folder instead of the demo model
 *   pnpm start --shards N        number of shards (default 3)
 *   pnpm start --quant int4      weight format of the shards: fp32 (default), int8 or int4
 *   pnpm start --block-size N    weights per quantization block with --quant (default 32)
 *   pnpm start --port N          the chain's JSON-RPC port (default: a free one)
 *   pnpm start --rpc-url URL     use a running local chain instead of starting one
 *   pnpm start --gateway-port N  the gateway's port (default: a free one)
 *   pnpm start --web-port N      the web app's port (default: a free one)
 *   pnpm start --out DIR         where the deployment, model, shards, logs and devnet.env go (default .teetee/devnet)
 *
 * One network per output folder: a second start on a folder in use is refused (devnet.lock). Each service's
 * output goes to DIR/logs/<name>.log; a service that dies is reported at once; `teetee devnet status --out DIR`
 * prints the summary again. Every child runs in its own process group and is stopped and reaped on Ctrl-C,
 * SIGTERM or a failed step.
 */

import { mkdir, rm, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { deployTeeTee } from "@teetee/contracts/deploy";
import { createDevTee, type DevTee } from "@teetee/dev-tee";
import { describe } from "@teetee/errors";
import { verifyRegisteredRunner } from "@teetee/sdk/attestation";
import {
  allocate,
  approveToken,
  authorizeSigner,
  depositWithPermit,
  mintTestToken,
  signPermit,
  stake,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import { formatApiKey, routesOf } from "@teetee/sdk/payments";
import { fetchRunnerAttestation } from "@teetee/sdk/protocol";
import { buildWeb, serveWeb } from "@teetee/web/server";
import type { Hex, PublicClient } from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { type Actor, createActor } from "../actors.js";
import { demoPricing, registerDemoModel, shardDemoModel, writeDemoModel } from "../demoModel.js";
import { LOCAL_CHAIN_ID, LOCAL_MNEMONIC, type LocalChain, startLocalChain } from "../localChain.js";
import {
  type DemoRunner,
  type DemoRunnerSpec,
  type ServiceReporting,
  startDemoGateway,
  startDemoRunner,
} from "../network.js";
import { lockOutputFolder } from "../outputLock.js";
import { type Service, stopAllServices } from "../services.js";
import { type ServiceKind, type ServiceRecord, writeDevnetState } from "../state.js";
import { readSummary } from "../summary.js";
import { sendDemoRequests, waitForSettlement } from "../traffic.js";
import { type DemoReport, printReport, printUsage, reportJson, type Usage } from "./report.js";
import { step } from "./step.js";

const MODEL_NAME = "teetee-demo";

/** What `teetee devnet up` (and so `pnpm start`) was asked for; paths already resolved. */
export type DevnetUpOptions = {
  once: boolean;
  json: boolean;
  shards: number;
  out: string;
  model?: string;
  /** Passed to shardModel as is, which refuses an unknown format or block size. */
  quant?: string;
  blockSize?: number;
  port?: number;
  gatewayPort?: number;
  webPort?: number;
  rpcUrl?: string;
};

async function attachOrStart(options: DevnetUpOptions, logDir: string): Promise<LocalChain> {
  if (options.rpcUrl === undefined)
    return startLocalChain({
      logFile: join(logDir, "chain.log"),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
  const rpcUrl = options.rpcUrl;
  return {
    rpcUrl,
    chainId: LOCAL_CHAIN_ID,
    accounts: (index) => mnemonicToAccount(LOCAL_MNEMONIC, { addressIndex: index }),
    stop: async () => {},
  };
}

/** One runner per shard, contributors taking shards in turn, plus a replica of shard 0 run by contributor-1. */
function runnerSpecs(shardCount: number, contributorCount: number): DemoRunnerSpec[] {
  const specs = Array.from({ length: shardCount }, (_, shardIndex) => {
    const contributor = shardIndex % contributorCount;
    return {
      shardIndex,
      name: `runner-${shardIndex}`,
      contributorName: `contributor-${contributor + 1}`,
      accountIndex: contributor + 1,
    };
  });
  return [...specs, { ...specs[0]!, name: "replica-0" }];
}

async function fundAndStake(contracts: TeeTeeContracts, minter: Actor, contributor: Actor, amount: bigint) {
  await minter.send("mint", () =>
    mintTestToken(minter.walletClient, { contracts, to: contributor.account.address, amount: amount * 2n }),
  );
  await contributor.send("approve", () =>
    approveToken(contributor.walletClient, { contracts, spender: contracts.staking, amount }),
  );
  await contributor.send("stake", () => stake(contributor.walletClient, { contracts, amount }));
}

const DEPOSIT = 50_000_000n;

async function buyerSetup(contracts: TeeTeeContracts, minter: Actor, buyer: Actor) {
  await minter.send("mint", () =>
    mintTestToken(minter.walletClient, { contracts, to: buyer.account.address, amount: 2n * DEPOSIT }),
  );
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const permit = await signPermit(buyer.walletClient, {
    contracts,
    spender: contracts.paymentEscrow,
    value: DEPOSIT,
    deadline,
  });
  await buyer.send("depositWithPermit", () =>
    depositWithPermit(buyer.walletClient, {
      contracts,
      buyer: buyer.account.address,
      amount: DEPOSIT,
      permit,
    }),
  );
  const sessionKey = generatePrivateKey();
  const signer = privateKeyToAccount(sessionKey).address;
  const expiry = BigInt(Math.floor(Date.now() / 1000) + 30 * 86_400);
  await buyer.send("authorizeSigner", () =>
    authorizeSigner(buyer.walletClient, { contracts, signer, spendLimit: 10_000_000n, expiry }),
  );
  return { signer, apiKey: formatApiKey({ buyer: buyer.account.address, sessionPrivateKey: sessionKey }) };
}

const ALLOCATION_PER_ROUTE = 10_000_000n;

/**
 * The buyer sets aside part of its deposit for each route its runners make: runners admit requests only against
 * their route's allocation, which no other route's voucher can spend first.
 */
async function allocateRoutes(
  contracts: TeeTeeContracts,
  buyer: Actor,
  modelId: Hex,
  runners: readonly DemoRunner[],
) {
  const routes = routesOf(runners.map((r) => ({ address: r.runner, shardIndex: r.shardIndex })));
  for (const route of routes) {
    await buyer.send("allocate", () =>
      allocate(buyer.walletClient, { contracts, modelId, route, amount: ALLOCATION_PER_ROUTE }),
    );
  }
  return routes;
}

/** Every runner checked as `teetee verify <url>` checks it: its quote against its on-chain record. */
async function verifyRunners(
  client: PublicClient,
  contracts: TeeTeeContracts,
  runners: readonly DemoRunner[],
) {
  const chainId = await client.getChainId();
  return Promise.all(
    runners.map(async (r) => {
      const document = await fetchRunnerAttestation(r.url);
      const result = await verifyRegisteredRunner(client, { chainId, contracts, document });
      if (!result.ok) {
        const failed = result.checks.filter((c) => c.status === "fail").map((c) => `${c.title}: ${c.detail}`);
        throw new Error(`${r.name} (${r.runner}) failed verification: ${failed.join("; ")}`);
      }
      return {
        name: r.name,
        shardIndex: r.shardIndex,
        runner: r.runner,
        contributor: r.contributor,
        contributorName: r.contributorName,
        url: r.url,
        attestation: { verified: result.ok, kind: result.kind, expiresAt: result.expiresAt },
      };
    }),
  );
}

/** The child processes and servers of the network, stopped in reverse order of start. */
class Processes {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private stopping = false;
  /** Records how to stop something just started; once stopping has begun, stops it at once instead. */
  add(name: string, stop: () => Promise<void>): void {
    if (this.stopping) void stop().catch(() => {});
    else this.stops.push({ name, stop });
  }
  addService(service: Service): void {
    this.add(service.name, service.stop);
  }
  async stopAll(): Promise<void> {
    this.stopping = true;
    while (this.stops.length > 0) {
      const { name, stop } = this.stops.pop()!;
      await stop().catch((error: unknown) => console.error(`stopping ${name}: ${describe(error)}`));
    }
  }
}

/** Service output goes to files; a death is told on the console as soon as it happens. */
function reportingTo(logDir: string): ServiceReporting {
  return { logDir, onDeath: (notice) => process.stderr.write(notice) };
}

/** devnet.env: the URLs, the buyer's API key, and the local chain's well-known key of every demo role. */
function devnetEnv(chain: LocalChain, deploymentFile: string, gatewayUrl: string, apiKey: string): string {
  const key = (index: number) =>
    `0x${Buffer.from(chain.accounts(index).getHdKey().privateKey!).toString("hex")}`;
  return [
    `TEETEE_RPC_URL=${chain.rpcUrl}`,
    `TEETEE_DEPLOYMENT=${deploymentFile}`,
    `TEETEE_GATEWAY_URL=${gatewayUrl}`,
    `TEETEE_API_KEY=${apiKey}`,
    "# Hardhat's well-known development keys of the demo roles: local chain only.",
    "# Act as one with --key-env, e.g. `pnpm teetee --key-env TEETEE_CONTRIBUTOR_1_KEY runners`.",
    `TEETEE_CURATOR_KEY=${key(0)}`,
    `TEETEE_CONTRIBUTOR_1_KEY=${key(1)}`,
    `TEETEE_CONTRIBUTOR_2_KEY=${key(2)}`,
    `TEETEE_CONTRIBUTOR_3_KEY=${key(3)}`,
    `TEETEE_BUYER_KEY=${key(4)}`,
    "# The key teetee uses by default: the buyer's.",
    `TEETEE_PRIVATE_KEY=${key(4)}`,
    "",
  ].join("\n");
}

async function runDemo(
  options: DevnetUpOptions,
  processes: Processes,
): Promise<{ report: DemoReport; usage: Usage }> {
  const logDir = join(options.out, "logs");
  await rm(logDir, { recursive: true, force: true });
  await mkdir(logDir, { recursive: true });
  console.error(`Logs: ${logDir} (one file per service)`);
  const reporting = reportingTo(logDir);
  const chain = await step(options.rpcUrl ? "Attach to the local chain" : "Start Hardhat's chain", () =>
    attachOrStart(options, logDir),
  );
  processes.add("chain", chain.stop);
  const actor = (name: string, index: number) => createActor(name, chain.accounts(index), chain.rpcUrl);
  const curator = actor("curator", 0);
  const contributors = [actor("contributor-1", 1), actor("contributor-2", 2), actor("contributor-3", 3)];
  const buyer = actor("buyer", 4);
  const client = curator.publicClient as PublicClient;

  const deployment = await step("Deploy the contracts", () =>
    deployTeeTee({
      walletClient: curator.walletClient,
      publicClient: client,
      thawPeriod: 3600n,
      unbondingPeriod: 3600n,
      outDir: options.out,
      // deployTeeTee writes the deployment file only when it has a log to report it to.
      log: () => {},
    }),
  );
  const deploymentFile = join(options.out, `${deployment.chainId}.json`);
  const contracts: TeeTeeContracts = deployment;
  const tee: DevTee = await step("Start the development TEE", () => createDevTee());
  processes.add("development TEE", tee.close);
  const composeHash = tee.identity.composeHash;
  const modelDir =
    options.model ??
    (await step("Write the demo model (random weights, Hugging Face format)", async () => {
      const dir = join(options.out, "model");
      await rm(dir, { recursive: true, force: true });
      return writeDemoModel(dir);
    }));
  const sharded = await step(
    `Shard it into ${options.shards} ${options.quant ?? "fp32"} shards`,
    async () => {
      await rm(join(options.out, "shards"), { recursive: true, force: true });
      return shardDemoModel(modelDir, options.out, options.shards, {
        format: options.quant,
        blockSize: options.blockSize,
      });
    },
  );
  const shardDir = join(options.out, "shards");
  const registered = await step("Register the model with the development compose hash and OS image", () =>
    registerDemoModel(curator, contracts, sharded.manifest, sharded.modelId, composeHash, tee.osImage),
  );
  const specs = runnerSpecs(options.shards, contributors.length);
  await step("Fund and stake three contributors (one stake per runner they run)", async () => {
    for (const [index, contributor] of contributors.entries()) {
      const runs = BigInt(specs.filter((s) => s.accountIndex === index + 1).length);
      await fundAndStake(contracts, curator, contributor, demoPricing.minStake * (runs > 0n ? runs : 1n));
    }
  });
  const { signer, apiKey } = await step(
    "Buyer deposits 50 tUSD by permit and creates an API key (limit 10 tUSD)",
    () => buyerSetup(contracts, curator, buyer),
  );
  const dataRoot = join(options.out, "runners");
  await rm(dataRoot, { recursive: true, force: true });
  const runners = await step(
    `Start ${specs.length} runners (one per shard + a replica), each in its own development TEE, registered on-chain`,
    async () => {
      const started: DemoRunner[] = [];
      const results = await Promise.allSettled(
        specs.map(async (spec) => {
          const runner = await startDemoRunner({
            spec,
            chain,
            client,
            contracts,
            shardDir,
            dataRoot,
            reporting,
          });
          processes.add(runner.name, runner.stop);
          started.push(runner);
          process.stderr.write(` ${runner.name}`);
          return runner;
        }),
      );
      const failure = results.find((r) => r.status === "rejected");
      if (failure !== undefined) throw failure.reason;
      return specs.map((spec) => started.find((r) => r.name === spec.name)!);
    },
  );
  const routes = await step(
    `Buyer allocates ${Number(ALLOCATION_PER_ROUTE) / 1e6} tUSD to each route its runners make (what they admit requests against)`,
    () => allocateRoutes(contracts, buyer, sharded.modelId, runners),
  );
  const verified = await step("Verify every runner's attestation against the chain (teetee verify)", () =>
    verifyRunners(client, contracts, runners),
  );
  const gateway = await step("Start the gateway and wait for an attested route", () =>
    startDemoGateway({
      chain,
      deploymentFile,
      shardDir,
      modelName: MODEL_NAME,
      reporting,
      ...(options.gatewayPort === undefined ? {} : { port: options.gatewayPort }),
    }),
  );
  processes.addService(gateway);
  const requests = await step(
    "Buyer sends 3 chat requests through the OpenAI client (the last streamed)",
    () => sendDemoRequests(gateway.url, apiKey, MODEL_NAME),
  );
  await step("Settle: the runners redeem the buyer's vouchers on-chain", () =>
    waitForSettlement(client, contracts, requests),
  );
  const figures = await step("Read the results back from the chain", () =>
    readSummary(client, deployment, {
      modelId: sharded.modelId,
      contributors,
      buyer,
      signer,
      routes,
      actors: [curator, ...contributors, buyer],
    }),
  );
  const web = await step("Build and serve the web app", async () => {
    await buildWeb({ quiet: true });
    const served = await serveWeb({
      rpcUrl: chain.rpcUrl,
      deployment,
      gatewayUrl: gateway.url,
      ...(options.webPort === undefined ? {} : { port: options.webPort }),
    });
    processes.add("web app", served.close);
    const page = await fetch(served.url);
    if (!page.ok) throw new Error(`the web app answered HTTP ${page.status}`);
    return served;
  });
  const envFile = join(options.out, "devnet.env");
  await writeFile(envFile, devnetEnv(chain, deploymentFile, gateway.url, apiKey), { mode: 0o600 });
  writeDevnetState(options.out, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    rpcUrl: chain.rpcUrl,
    gatewayUrl: gateway.url,
    webUrl: web.url,
    apiKey,
    model: MODEL_NAME,
    envFile,
    logDir,
    services: [
      {
        name: "chain",
        kind: "chain",
        url: chain.rpcUrl,
        ...(options.rpcUrl === undefined ? { logFile: join(logDir, "chain.log") } : {}),
      },
      ...runners.map((r) => serviceRecord(r, "runner")),
      serviceRecord(gateway, "gateway"),
      { name: "web app", kind: "web", url: web.url },
    ],
  });
  const report: DemoReport = {
    chainId: deployment.chainId,
    rpcUrl: chain.rpcUrl,
    deploymentFile,
    modelId: sharded.modelId,
    modelName: MODEL_NAME,
    composeHash,
    osImage: tee.osImage,
    shards: sharded.manifest.shards.map((s, i) => ({
      index: s.index,
      layerStart: s.layerStart,
      layerEnd: s.layerEnd,
      weightsHash: s.weightsHash as Hex,
      shareBps: registered.shards[i]!.shareBps,
    })),
    runners: verified,
    requests,
    totals: {
      promptTokens: requests.reduce((sum, r) => sum + r.promptTokens, 0),
      completionTokens: requests.reduce((sum, r) => sum + r.completionTokens, 0),
      cost: requests.reduce((sum, r) => sum + r.cost, 0n),
      paid:
        DEPOSIT -
        figures.buyer.escrowBalance -
        figures.buyer.allocations.reduce((sum, a) => sum + a.amount, 0n),
    },
    ...figures,
  };
  return {
    report,
    usage: {
      gatewayUrl: gateway.url,
      webUrl: web.url,
      apiKey,
      envFile,
      logDir,
      out: options.out,
      rpcUrl: chain.rpcUrl,
      model: MODEL_NAME,
    },
  };
}

function serviceRecord(service: Service, kind: ServiceKind): ServiceRecord {
  return {
    name: service.name,
    kind,
    url: service.url,
    ...(service.logFile === undefined ? {} : { logFile: service.logFile }),
  };
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Resolves with the first stop signal. The handlers stay installed: a second Ctrl-C (or the same SIGINT relayed
 * by a wrapper such as tsx) must not kill this process half-way through stopping its children.
 */
function firstStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received === undefined) {
        received = signal;
        resolve(signal);
      } else process.stderr.write(` (${signal}: still stopping)`);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  });
}

/**
 * Runs the network until it fails, `--once` completes, or a signal comes; resolves with the exit code (0, or 128 +
 * the signal's number). Every process it started is stopped and reaped before it resolves or rejects.
 */
export async function upDevnet(options: DevnetUpOptions): Promise<number> {
  await mkdir(options.out, { recursive: true });
  const lock = lockOutputFolder(options.out, (message) => console.error(message));
  const processes = new Processes();
  const stopSignal = firstStopSignal();
  const interrupted = stopSignal.then((signal) => ({ signal }));
  // Start-up goes on in the background after a signal; whatever it still starts is stopped or refused.
  const demo = runDemo(options, processes);
  demo.catch(() => {});
  try {
    const outcome = await Promise.race([demo, interrupted]);
    if ("signal" in outcome) return exitCodeOf(outcome.signal);
    const { report, usage } = outcome;
    if (options.json) console.log(reportJson({ ...report, ...usage }));
    else printReport(report);
    if (options.once) return 0;
    if (!options.json) printUsage(usage);
    console.error("\nRunning. Press Ctrl-C to stop every process.");
    return exitCodeOf(await stopSignal);
  } finally {
    process.stderr.write("Stopping every process ...");
    await processes.stopAll();
    await stopAllServices();
    await lock.release();
    process.stderr.write(" stopped\n");
  }
}

/** The shell's convention: 128 + the signal's number (130 for Ctrl-C). */
function exitCodeOf(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}
