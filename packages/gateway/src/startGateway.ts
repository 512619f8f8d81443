import { readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { type Deployment, getDeployment, parseDeployment } from "@teetee/contracts/deployments";
import { isLocalChainId } from "@teetee/sdk/contracts";
import { createPaymentChainReader } from "@teetee/sdk/payments";
import { RouteVerifier } from "@teetee/sdk/pipeline";
import pino, { type Logger } from "pino";
import { createPublicClient, defineChain, http, type PublicClient } from "viem";
import { Authenticator } from "./Authenticator.js";
import { BuyerQueue } from "./BuyerQueue.js";
import { ChainDirectory } from "./ChainDirectory.js";
import type { GatewayConfig } from "./config.js";
import { createGatewayApp } from "./createGatewayApp.js";
import { GatewayStartupError } from "./errors.js";
import { Generator } from "./Generator.js";
import { listenGateway } from "./listenGateway.js";
import { createGatewayMetrics } from "./metrics.js";
import { PaymentSessionPool } from "./PaymentSessionPool.js";
import { RunnerPool } from "./RunnerPool.js";
import { loadServedModel } from "./ServedModel.js";

export type StartGatewayParameters = { config: GatewayConfig; logger?: Logger };

export type StartedGateway = {
  /** Base URL; the OpenAI base URL is `${url}/v1`. */
  url: string;
  directory: ChainDirectory;
  pool: RunnerPool;
  close: () => Promise<void>;
};

/**
 * Starts a gateway: loads the served models' tokenizers, reads the models and runners from the chain and follows
 * the registries' events, verifies runners' attestations, health-checks them, and serves the OpenAI API.
 */
export async function startGateway(parameters: StartGatewayParameters): Promise<StartedGateway> {
  const { config } = parameters;
  const logger = parameters.logger ?? pino({ level: config.logLevel, base: { service: "teetee-gateway" } });
  const client = createPublicClient({ transport: http(config.rpcUrl) }) as PublicClient;
  const chainId = await client.getChainId().catch((cause: unknown) => {
    throw new GatewayStartupError(`Cannot reach the chain at ${config.rpcUrl}`, { cause });
  });
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
  const chainClient = createPublicClient({ chain, transport: http(config.rpcUrl) }) as PublicClient;
  const deployment = resolveDeployment(config, chainId);
  const contracts = {
    ...deployment,
    paymentEscrow: config.paymentEscrow ?? deployment.paymentEscrow,
    modelRegistry: config.modelRegistry ?? deployment.modelRegistry,
    runnerRegistry: config.runnerRegistry ?? deployment.runnerRegistry,
  };
  const models = await Promise.all(config.models.map((m) => loadServedModel(m.dir, m.name)));
  const metrics = createGatewayMetrics();
  const verifierParameters = {
    client: chainClient,
    contracts,
    chainId,
    recheckSeconds: config.attestationRecheckSeconds,
    policy: { allowDevQuotes: (config.allowDevQuotes ?? true) && isLocalChainId(chainId) },
  };
  const pool = new RunnerPool({
    // A fresh verifier each time: the pool decides when to verify again (quote change, TTL, recheck), and a
    // verifier's own cache would not notice a new quote.
    verify: (runner, expected) => new RouteVerifier(verifierParameters).verify(runner, expected),
    healthIntervalMs: config.healthIntervalMs,
    recheckSeconds: config.attestationRecheckSeconds,
  });
  const directory = new ChainDirectory({
    client: chainClient,
    contracts,
    modelIds: models.map((m) => m.modelId),
    pollMs: config.discoveryPollMs,
    onChange: (listings) => pool.sync(listings),
    onError: (error) => logger.warn({ err: error }, "registry poll failed"),
  });
  await directory.start();
  pool.start();
  const reader = createPaymentChainReader(chainClient, {
    contracts,
    fromBlock: BigInt(deployment.startBlock),
    cacheMs: config.chainCacheMs,
  });
  const generator = new Generator({
    pool,
    payments: new PaymentSessionPool({ chainId, paymentEscrow: contracts.paymentEscrow }),
    topology: config.topology,
    timeoutMs: config.timeoutMs,
    maxFailovers: config.maxFailovers,
    funded: async (buyer, modelId, route, maxCost) => {
      const allocation = await reader.routeAllocation(buyer, modelId, route);
      return allocation.amount - allocation.releasing >= maxCost;
    },
    onFailover: (attempt) =>
      logger.warn(
        { route: attempt.route.map((r) => r.runner), failed: attempt.failed, error: attempt.error },
        "failover",
      ),
  });
  const app = createGatewayApp({
    models,
    listings: () => directory.listings,
    generator,
    authenticator: new Authenticator(reader),
    queue: new BuyerQueue({
      maxRunning: config.maxRunningPerBuyer,
      maxWaiting: config.maxWaitingPerBuyer,
      maxWaitMs: config.queueWaitMs,
    }),
    metrics,
    defaultMaxTokens: config.defaultMaxTokens,
    pool,
    logger,
  });
  const server = await listenGateway(app, config);
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  if (config.readyFile !== undefined) writeFileSync(config.readyFile, JSON.stringify({ url }));
  logger.info(
    { url, models: models.map((m) => ({ name: m.name, modelId: m.modelId })) },
    "gateway listening",
  );
  return {
    url,
    directory,
    pool,
    close: async () => {
      directory.stop();
      pool.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function resolveDeployment(config: GatewayConfig, chainId: number): Deployment {
  try {
    if (config.deployment !== undefined) {
      return parseDeployment(JSON.parse(readFileSync(config.deployment, "utf8")), config.deployment);
    }
    return getDeployment(chainId);
  } catch (cause) {
    throw new GatewayStartupError(`No TeeTee deployment for chain ${chainId}`, {
      cause,
      hint: "Pass --deployment FILE (or the contract addresses).",
    });
  }
}
