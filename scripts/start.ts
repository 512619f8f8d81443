/**
 * The main job: brings up a local TeeTee network on Hardhat's chain, runs a demo through it and keeps it running
 * until Ctrl-C.
 *
 *   pnpm start                   chain, contracts, demo model (3 shards), stakes, buyer key; then keep running
 *   pnpm start --once            the same, then stop everything; exit 0 only when every step succeeded
 *   pnpm start --json            the summary as one JSON object on stdout (progress stays on stderr)
 *   pnpm start --model DIR       shard and register this Hugging Face folder instead of the demo model
 *   pnpm start --shards N        number of shards (default 3)
 *   pnpm start --port N          the chain's JSON-RPC port (default: a free one)
 *   pnpm start --rpc-url URL     use a running local chain instead of starting one
 *   pnpm start --out DIR         where the deployment, model, shards and devnet.env go (default .teetee/devnet)
 */

import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatUnits, type Hex } from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { type Actor, createActor } from "../packages/cli/src/devnet/actors.js";
import {
  demoPricing,
  registerDemoModel,
  shardDemoModel,
  writeDemoModel,
} from "../packages/cli/src/devnet/demoModel.js";
import { LOCAL_MNEMONIC, type LocalChain, startLocalChain } from "../packages/cli/src/devnet/localChain.js";
import { type DevnetSummary, readSummary } from "../packages/cli/src/devnet/summary.js";
import { formatApiKey } from "../packages/cli/src/lib/apiKey.js";
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
import { deployTeeTee } from "./deploy.js";
import { step } from "./lib/step.js";

const tUsd = (value: bigint) => `${formatUnits(value, 6)} tUSD`;

type StartOptions = {
  once: boolean;
  json: boolean;
  shards: number;
  out: string;
  model?: string;
  port?: number;
  rpcUrl?: string;
};

function parseOptions(): StartOptions {
  const { values } = parseArgs({
    options: {
      once: { type: "boolean" },
      json: { type: "boolean" },
      port: { type: "string" },
      "rpc-url": { type: "string" },
      model: { type: "string" },
      shards: { type: "string" },
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
    ...(values.port === undefined ? {} : { port: Number(values.port) }),
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

async function fundAndStake(contracts: TeeTeeContracts, minter: Actor, contributor: Actor, amount: bigint) {
  await minter.send("mint", () =>
    mintTestToken(minter.walletClient, { contracts, to: contributor.account.address, amount: amount * 2n }),
  );
  await contributor.send("approve", () =>
    approveToken(contributor.walletClient, { contracts, spender: contracts.staking, amount }),
  );
  await contributor.send("stake", () => stake(contributor.walletClient, { contracts, amount }));
}

async function buyerSetup(contracts: TeeTeeContracts, minter: Actor, buyer: Actor) {
  const deposit = 50_000_000n;
  await minter.send("mint", () =>
    mintTestToken(minter.walletClient, { contracts, to: buyer.account.address, amount: 2n * deposit }),
  );
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const permit = await signPermit(buyer.walletClient, {
    contracts,
    spender: contracts.paymentEscrow,
    value: deposit,
    deadline,
  });
  await buyer.send("depositWithPermit", () =>
    depositWithPermit(buyer.walletClient, {
      contracts,
      buyer: buyer.account.address,
      amount: deposit,
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

function printSummary(summary: DevnetSummary, apiKey: string, envFile: string): void {
  const lines = [
    "",
    "TeeTee local network",
    `  chain RPC         ${summary.rpcUrl} (chain id ${summary.chainId})`,
    `  deployment        ${summary.deploymentFile}`,
    `  model             ${summary.modelId}`,
    `  prices            ${tUsd(summary.prices.inputPricePerMTok)} in / ${tUsd(summary.prices.outputPricePerMTok)} out per 1M tokens, stake ${tUsd(summary.prices.minStake)} per runner`,
    `  compose hash      ${summary.composeHash} (development TEE)`,
    "  route",
    ...summary.shards.map(
      (s) =>
        `    shard ${s.index}  layers [${s.layerStart}, ${s.layerEnd})  share ${s.shareBps} bps  weights ${s.weightsHash.slice(0, 18)}…`,
    ),
    "  contributors",
    ...summary.contributors.map(
      (c) =>
        `    ${c.name.padEnd(13)} ${c.address}  staked ${tUsd(c.staked)}  locked ${tUsd(c.locked)}  earnings ${tUsd(c.earnings)}`,
    ),
    "  buyer",
    `    ${summary.buyer.address}  escrow ${tUsd(summary.buyer.escrowBalance)}`,
    `    API key signer ${summary.buyer.signer}  limit ${tUsd(summary.buyer.spendLimit)}  spent ${tUsd(summary.buyer.spent)}`,
    `  gas used          ${summary.gas.total} total (${Object.entries(summary.gas.byActor)
      .map(([name, gas]) => `${name} ${gas}`)
      .join(", ")})`,
    ...(summary.skipped.length === 0
      ? []
      : ["  not run", ...summary.skipped.map((s) => `    ${s.step}: ${s.reason}`)]),
    "",
    `  API key           ${apiKey}`,
    `  environment       set -a; . ${envFile}; set +a   (then: pnpm teetee balance, pnpm teetee runners ...)`,
  ];
  console.log(lines.join("\n"));
}

async function main(): Promise<void> {
  const options = parseOptions();
  await mkdir(options.out, { recursive: true });
  const chain = await step(options.rpcUrl ? "Attach to the local chain" : "Start Hardhat's chain", () =>
    attachOrStart(options),
  );
  let tee: DevTee | undefined;
  const stopAll = async () => {
    await tee?.close();
    await chain.stop();
  };
  try {
    const actor = (name: string, index: number) => createActor(name, chain.accounts(index), chain.rpcUrl);
    const curator = actor("curator", 0);
    const contributors = [actor("contributor-1", 1), actor("contributor-2", 2), actor("contributor-3", 3)];
    const buyer = actor("buyer", 4);
    const actors = [curator, ...contributors, buyer];

    const deployment = await step("Deploy the contracts", () =>
      deployTeeTee({
        walletClient: curator.walletClient,
        publicClient: curator.publicClient,
        thawPeriod: 3600n,
        unbondingPeriod: 3600n,
        outDir: options.out,
        // deployTeeTee writes the deployment file only when it has a log to report it to.
        log: () => {},
      }),
    );
    const deploymentFile = join(options.out, `${deployment.chainId}.json`);
    const contracts: TeeTeeContracts = deployment;
    tee = await step("Start the development TEE", () => createDevTee());
    const composeHash = tee.identity.composeHash;
    const modelDir =
      options.model ??
      (await step("Write the demo model (random weights, Hugging Face format)", async () => {
        const dir = join(options.out, "model");
        await rm(dir, { recursive: true, force: true });
        return writeDemoModel(dir);
      }));
    const sharded = await step(`Shard it into ${options.shards} shards`, async () => {
      await rm(join(options.out, "shards"), { recursive: true, force: true });
      return shardDemoModel(modelDir, options.out, options.shards);
    });
    const registered = await step("Register the model with the development compose hash", () =>
      registerDemoModel(curator, contracts, sharded.manifest, sharded.modelId, composeHash),
    );
    await step("Fund and stake three contributors (one runner each, the first also a replica)", async () => {
      for (const [index, contributor] of contributors.entries()) {
        await fundAndStake(contracts, curator, contributor, demoPricing.minStake * (index === 0 ? 2n : 1n));
      }
    });
    const skipped: DevnetSummary["skipped"] = [];
    const runnerMain = resolve("packages/runner/src/main.ts");
    const gatewayMain = resolve("packages/gateway/src/main.ts");
    if (!existsSync(runnerMain))
      skipped.push({ step: "runners", reason: "packages/runner/src/main.ts is not there yet" });
    if (!existsSync(gatewayMain)) {
      skipped.push({
        step: "gateway, chat and settlement",
        reason: "packages/gateway/src/main.ts is not there yet",
      });
    }
    const { signer, apiKey } = await step(
      "Buyer deposits 50 tUSD and creates an API key (limit 10 tUSD)",
      () => buyerSetup(contracts, curator, buyer),
    );
    const figures = await step("Read the results back from the chain", () =>
      readSummary(curator.publicClient, contracts, {
        modelId: sharded.modelId,
        contributors,
        buyer,
        signer,
        actors,
      }),
    );
    const summary: DevnetSummary = {
      chainId: deployment.chainId,
      rpcUrl: chain.rpcUrl,
      deploymentFile,
      modelId: sharded.modelId,
      composeHash,
      shards: sharded.manifest.shards.map((s, i) => ({
        index: s.index,
        layerStart: s.layerStart,
        layerEnd: s.layerEnd,
        weightsHash: s.weightsHash as Hex,
        shareBps: registered.shards[i]!.shareBps,
      })),
      ...figures,
      skipped,
    };
    const envFile = join(options.out, "devnet.env");
    await writeFile(
      envFile,
      [
        `TEETEE_RPC_URL=${chain.rpcUrl}`,
        `TEETEE_DEPLOYMENT=${deploymentFile}`,
        `TEETEE_API_KEY=${apiKey}`,
        "# Hardhat's well-known development key of the demo buyer (account 4): local chain only.",
        `TEETEE_PRIVATE_KEY=0x${Buffer.from(chain.accounts(4).getHdKey().privateKey!).toString("hex")}`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    if (options.json) console.log(toJson({ ...summary, apiKey, envFile }));
    else printSummary(summary, apiKey, envFile);
  } catch (error) {
    await stopAll();
    throw error;
  }
  if (options.once) {
    await stopAll();
    return;
  }
  console.error("\nRunning. Press Ctrl-C to stop every process.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await stopAll();
}

main().catch((error: unknown) => {
  console.error(`\n${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
