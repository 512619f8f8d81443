/**
 * Real paid inference for the web e2e tests: a small random-weight model sharded in two, registered on the harness's
 * chain; one paid runner process per shard (`packages/runner/src/main.ts` with a dev TEE, the market contributor's
 * key, the payment escrow and short settle times, via the devnet helper `pnpm start` uses); and the gateway
 * (`startGateway`) on a port chosen before the harness starts, so the served app proxies to it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDevTee } from "@teetee/dev-tee";
import { type DemoRunner, freePort, startDemoRunner } from "@teetee/devnet";
import { shareSpec } from "@teetee/devnet/market";
import { prepareShardedModel } from "@teetee/devnet/testing";
import { parseGatewayConfig, type StartedGateway, startGateway } from "@teetee/gateway";
import { modelParamsOf } from "@teetee/inference";
import { allocate, getEscrowAccount, type ModelParams, stake } from "@teetee/sdk/contracts";
import { type Harness, startHarness } from "./harness.js";

/** The model name the gateway serves; the Playground asks for `teetee`. */
export const GATEWAY_MODEL = "teetee";
const SHARD_COUNT = 2;
const SHAPE = {
  seed: 5,
  hiddenSize: 32,
  intermediateSize: 64,
  numLayers: 4,
  numHeads: 2,
  numKvHeads: 1,
  maxPositions: 256,
};

export type PaidHarness = Harness & {
  gateway: StartedGateway;
  gatewayUrl: string;
  runners: DemoRunner[];
  /** Stops the gateway, the runners (and their dev TEEs), then the harness. */
  stopAll: () => Promise<void>;
};

/**
 * The harness with real paid runners and the gateway. The market's contributor `i` stakes and runs shard `i`'s
 * runner (it registers itself on-chain at start), so every request's earnings go to the market's contributors.
 */
export async function startPaidHarness(): Promise<PaidHarness> {
  const workDir = mkdtempSync(join(tmpdir(), "teetee-web-e2e-"));
  const sharded = await prepareShardedModel({ dir: workDir, shardCount: SHARD_COUNT, shape: SHAPE });
  const probe = await createDevTee();
  const composeHash = probe.identity.composeHash;
  const osImage = probe.osImage;
  await probe.close();
  const manifest = sharded.manifest;
  const model: ModelParams = modelParamsOf(manifest, {
    inputPricePerMTok: 2_000_000n,
    outputPricePerMTok: 6_000_000n,
    minStake: 1_000_000n,
    attestationTtl: 86_400n,
    shareBps: shareSpec(SHARD_COUNT, 500),
    composeHashes: [composeHash],
    osImages: [osImage],
  });

  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const h = await startHarness({ model, registerRunners: false, gatewayUrl });
  const runners: DemoRunner[] = [];
  let gateway: StartedGateway | undefined;
  const stopAll = async () => {
    await gateway?.close();
    await Promise.all(runners.map((r) => r.stop()));
    await h.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const { market } = h;
    for (const contributor of market.contributors) {
      await market.send(stake(contributor, { contracts: market.deployment, amount: model.minStake }));
    }
    const accounts = market.contributors.map((c) => c.account.address);
    await Promise.all(
      market.contributors.map(async (_, shardIndex) => {
        const accountIndex = [...Array(20).keys()].find(
          (i) => h.chain.accounts(i).address === accounts[shardIndex],
        )!;
        runners.push(
          await startDemoRunner({
            spec: {
              contributorName: `contributor-${shardIndex}`,
              accountIndex,
              shardIndex,
              name: `runner-${shardIndex}`,
            },
            chain: h.chain,
            client: market.publicClient,
            contracts: market.deployment,
            shardDir: sharded.shardDir,
            dataRoot: workDir,
          }),
        );
      }),
    );
    runners.sort((a, b) => a.shardIndex - b.shardIndex);
    // The market's own buyer pays through this route: half its deposit goes to the route's allocation.
    const { balance } = await getEscrowAccount(market.publicClient, {
      contracts: market.deployment,
      buyer: market.buyer.account.address,
    });
    await market.send(
      allocate(market.buyer, {
        contracts: market.deployment,
        modelId: model.modelId,
        route: runners.map((r) => r.runner),
        amount: balance / 2n,
      }),
    );
    const deploymentFile = join(workDir, "deployment.json");
    writeFileSync(
      deploymentFile,
      JSON.stringify({ ...market.deployment, chainId: h.chain.chainId, startBlock: 0 }),
    );
    gateway = await startGateway({
      config: parseGatewayConfig(
        [
          ...["--model", `${GATEWAY_MODEL}=${sharded.shardDir}`, "--rpc-url", h.chain.rpcUrl],
          ...["--deployment", deploymentFile, "--port", String(gatewayPort)],
        ],
        {
          TEETEE_LOG_LEVEL: "silent",
          TEETEE_TIMEOUT_MS: "10000",
          TEETEE_HEALTH_INTERVAL_MS: "1000",
          TEETEE_DISCOVERY_POLL_MS: "500",
        },
      ),
    });
    await until(async () => {
      const response = await fetch(`${gatewayUrl}/readyz`).catch(() => undefined);
      await response?.body?.cancel();
      return response?.ok === true;
    }, 60_000);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { ...h, gateway: gateway!, gatewayUrl, runners, stopAll };
}

/** Polls `condition` every 250 ms until it holds (or throws after `timeoutMs`). */
export async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 250));
  }
}
