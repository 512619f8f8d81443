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
 *   pnpm start --out DIR         where the deployment, model, shards and devnet.env go (default .teetee/devnet)
 */

import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Hex, PublicClient } from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { verifyRunner } from "../packages/cli/src/commands/verify.js";
import { type Actor, createActor } from "../packages/cli/src/devnet/actors.js";
import {
  demoPricing,
  registerDemoModel,
  shardDemoModel,
  writeDemoModel,
} from "../packages/cli/src/devnet/demoModel.js";
import { LOCAL_MNEMONIC, type LocalChain, startLocalChain } from "../packages/cli/src/devnet/localChain.js";
import {
  type DemoRunner,
  type DemoRunnerSpec,
  startDemoGateway,
  startDemoRunner,
} from "../packages/cli/src/devnet/network.js";
import { type Service, stopAllServices } from "../packages/cli/src/devnet/services.js";
import { readSummary } from "../packages/cli/src/devnet/summary.js";
import { sendDemoRequests, waitForSettlement } from "../packages/cli/src/devnet/traffic.js";
import { formatApiKey } from "../packages/cli/src/lib/apiKey.js";
import { connect } from "../packages/cli/src/lib/context.js";
import { toJson } from "../packages/cli/src/lib/io.js";
import { createDevTee, type DevTee } from "../packages/dev-tee/src/index.js";
import {
  approveToken,
  authorizeSigner,
  depositWithPermit,
  mintTestToken,
  signPermit,
  stake,
  type TeeTeeContracts,
} from "../packages/sdk/src/index.js";
import { buildWeb } from "../packages/web/src/server/buildWeb.js";
import { serveWeb } from "../packages/web/src/server/serveWeb.js";
import { deployTeeTee } from "./deploy.js";
import { type DemoReport, printReport, printUsage, type Usage } from "./lib/report.js";
import { step } from "./lib/step.js";

const MODEL_NAME = "teetee-demo";

type StartOptions = {
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

function parseOptions(): StartOptions {
  const { values } = parseArgs({
    options: {
      once: { type: "boolean" },
      json: { type: "boolean" },
      port: { type: "string" },
      "gateway-port": { type: "string" },
      "web-port": { type: "string" },
      "rpc-url": { type: "string" },
      model: { type: "string" },
      shards: { type: "string" },
      quant: { type: "string" },
      "block-size": { type: "string" },
      out: { type: "string" },
    },
  });
  const shards = Number(values.shards ?? "3");
  if (!Number.isInteger(shards) || shards < 1)
    throw new Error(`--shards must be a positive integer, not ${values.shards}`);
  return {
    once: values.once === true,
    json: values.json === true,
    shards,
    out: resolve(values.out ?? ".teetee/devnet"),
    ...(values.model === undefined ? {} : { model: resolve(values.model) }),
    ...(values.quant === undefined ? {} : { quant: values.quant }),
    ...(values["block-size"] === undefined ? {} : { blockSize: Number(values["block-size"]) }),
    ...(values.port === undefined ? {} : { port: Number(values.port) }),
    ...(values["gateway-port"] === undefined ? {} : { gatewayPort: Number(values["gateway-port"]) }),
    ...(values["web-port"] === undefined ? {} : { webPort: Number(values["web-port"]) }),
    ...(values["rpc-url"] === undefined ? {} : { rpcUrl: values["rpc-url"] }),
  };
}

async function attachOrStart(options: StartOptions): Promise<LocalChain> {
  if (options.rpcUrl === undefined)
    return startLocalChain(options.port === undefined ? {} : { port: options.port });
  const rpcUrl = options.rpcUrl;
  return {
    rpcUrl,
    chainId: 31337,
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
  return { signer, apiKey: formatApiKey(buyer.account.address, sessionKey) };
}

/** Every runner checked as `teetee verify <url>` checks it: its quote against its on-chain record. */
async function verifyRunners(chain: LocalChain, deploymentFile: string, runners: readonly DemoRunner[]) {
  const io = {
    stdout: () => {},
    stderr: () => {},
    env: {},
    cwd: process.cwd(),
    untilStopped: () => Promise.resolve(),
  };
  const ctx = await connect(io, { rpcUrl: chain.rpcUrl, deployment: deploymentFile });
  return Promise.all(
    runners.map(async (r) => {
      const result = await verifyRunner(ctx, r.url);
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
  add(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop });
  }
  addService(service: Service): void {
    this.add(service.name, service.stop);
  }
  async stopAll(): Promise<void> {
    while (this.stops.length > 0) {
      const { name, stop } = this.stops.pop()!;
      await stop().catch((error: unknown) => console.error(`stopping ${name}: ${String(error)}`));
    }
  }
}

async function runDemo(
  options: StartOptions,
  processes: Processes,
): Promise<{ report: DemoReport; usage: Usage }> {
  await mkdir(options.out, { recursive: true });
  const chain = await step(options.rpcUrl ? "Attach to the local chain" : "Start Hardhat's chain", () =>
    attachOrStart(options),
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
  const registered = await step("Register the model with the development compose hash", () =>
    registerDemoModel(curator, contracts, sharded.manifest, sharded.modelId, composeHash),
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
          const runner = await startDemoRunner({ spec, chain, client, contracts, shardDir, dataRoot });
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
  const verified = await step("Verify every runner's attestation against the chain (teetee verify)", () =>
    verifyRunners(chain, deploymentFile, runners),
  );
  const gateway = await step("Start the gateway and wait for an attested route", () =>
    startDemoGateway({
      chain,
      deploymentFile,
      shardDir,
      modelName: MODEL_NAME,
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
  await writeFile(
    envFile,
    [
      `TEETEE_RPC_URL=${chain.rpcUrl}`,
      `TEETEE_DEPLOYMENT=${deploymentFile}`,
      `TEETEE_GATEWAY_URL=${gateway.url}`,
      `TEETEE_API_KEY=${apiKey}`,
      "# Hardhat's well-known development key of the demo buyer (account 4): local chain only.",
      `TEETEE_PRIVATE_KEY=0x${Buffer.from(chain.accounts(4).getHdKey().privateKey!).toString("hex")}`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const report: DemoReport = {
    chainId: deployment.chainId,
    rpcUrl: chain.rpcUrl,
    deploymentFile,
    modelId: sharded.modelId,
    modelName: MODEL_NAME,
    composeHash,
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
      paid: DEPOSIT - figures.buyer.escrowBalance,
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
      rpcUrl: chain.rpcUrl,
      model: MODEL_NAME,
    },
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const processes = new Processes();
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  const interrupted = stopped.then(() => {
    throw new Error("Interrupted");
  });
  interrupted.catch(() => {});
  try {
    const { report, usage } = await Promise.race([runDemo(options, processes), interrupted]);
    if (options.json) console.log(toJson({ ...report, ...usage }));
    else printReport(report);
    if (!options.once) {
      if (!options.json) printUsage(usage);
      console.error("\nRunning. Press Ctrl-C to stop every process.");
      await stopped;
    }
  } finally {
    process.stderr.write("Stopping every process ...");
    await processes.stopAll();
    await stopAllServices();
    process.stderr.write(" stopped\n");
  }
}

main().catch((error: unknown) => {
  console.error(`\n${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
