import { readFileSync, writeFileSync } from "node:fs";
import type { RequestListener, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Deployment, getDeployment, parseDeployment } from "@teetee/contracts/deployments";
import { describe, TeeTeeError } from "@teetee/errors";
import { defineChainAt, isLocalChainId } from "@teetee/sdk/contracts";
import { type Built, Phases } from "@teetee/sdk/lifecycle";
import { createPaymentChainReader } from "@teetee/sdk/payments";
import { RouteVerifier } from "@teetee/sdk/pipeline";
import pino, { type Logger } from "pino";
import { createPublicClient, http, type PublicClient } from "viem";
import { type AuditJob, type Auditor, startAuditor } from "./Auditor.js";
import { Authenticator } from "./Authenticator.js";
import { BuyerQueue } from "./BuyerQueue.js";
import { ChainDirectory } from "./ChainDirectory.js";
import type { GatewayConfig } from "./config.js";
import { createGatewayApp } from "./createGatewayApp.js";
import { GatewayListenError, GatewayStartupError } from "./errors.js";
import { Generator } from "./Generator.js";
import { latestBlockTime } from "./latestBlockTime.js";
import { listenGateway } from "./listenGateway.js";
import { createGatewayMetrics, type GatewayMetrics } from "./metrics.js";
import { PaymentSessionPool } from "./PaymentSessionPool.js";
import { ReceiptStore } from "./ReceiptStore.js";
import { RunnerPool } from "./RunnerPool.js";
import { loadServedModel, type ServedModel } from "./ServedModel.js";

export type StartGatewayParameters = { config: GatewayConfig; logger?: Logger };

export type StartedGateway = {
  /** Base URL; the OpenAI base URL is `${url}/v1`. */
  url: string;
  directory: ChainDirectory;
  pool: RunnerPool;
  /** The background auditor, when `--audit-rate` is above 0. */
  auditor: Auditor | undefined;
  close: () => Promise<void>;
};

/** The chain's id, a client bound to it, and the contracts: the deployment's, overridden by flags. */
async function connectChain(config: GatewayConfig) {
  const client = createPublicClient({ transport: http(config.rpcUrl) }) as PublicClient;
  const chainId = await client.getChainId().catch((cause: unknown) => {
    throw new GatewayStartupError(`Cannot reach the chain at ${config.rpcUrl}`, { cause });
  });
  const chain = defineChainAt({ id: chainId, rpcUrl: config.rpcUrl });
  const chainClient = createPublicClient({ chain, transport: http(config.rpcUrl) }) as PublicClient;
  const deployment = resolveDeployment(config, chainId);
  const contracts = {
    ...deployment,
    paymentEscrow: config.paymentEscrow ?? deployment.paymentEscrow,
    modelRegistry: config.modelRegistry ?? deployment.modelRegistry,
    runnerRegistry: config.runnerRegistry ?? deployment.runnerRegistry,
  };
  return { chainId, chainClient, deployment, contracts };
}

type ConnectedChain = Awaited<ReturnType<typeof connectChain>>;

/**
 * The runners of the served models, read from the registries and followed by their events, each verified and
 * health-checked by the pool; closing stops both loops.
 */
async function followRunners(
  config: GatewayConfig,
  chain: ConnectedChain,
  models: readonly ServedModel[],
  logger: Logger,
): Promise<Built<{ pool: RunnerPool; directory: ChainDirectory }>> {
  const verifierParameters = {
    client: chain.chainClient,
    contracts: chain.contracts,
    chainId: chain.chainId,
    recheckSeconds: config.attestationRecheckSeconds,
    policy: { allowDevQuotes: (config.allowDevQuotes ?? true) && isLocalChainId(chain.chainId) },
  };
  const pool = new RunnerPool({
    // A fresh verifier each time: the pool decides when to verify again (quote change, TTL, recheck), and a
    // verifier's own cache would not notice a new quote.
    verify: (runner, expected) => new RouteVerifier(verifierParameters).verify(runner, expected),
    healthIntervalMs: config.healthIntervalMs,
    recheckSeconds: config.attestationRecheckSeconds,
  });
  const directory = new ChainDirectory({
    client: chain.chainClient,
    contracts: chain.contracts,
    modelIds: models.map((m) => m.modelId),
    pollMs: config.discoveryPollMs,
    onChange: (listings) => pool.sync(listings),
    onError: (error) => logger.warn({ err: error }, "registry poll failed"),
  });
  await directory.start();
  pool.start();
  return {
    value: { pool, directory },
    close: () => {
      directory.stop();
      pool.stop();
    },
  };
}

/** The OpenAI API over the runners: payment sessions per buyer and route, the generator, queues and metrics. */
function assembleApp(parts: {
  config: GatewayConfig;
  chain: ConnectedChain;
  models: ServedModel[];
  runners: { pool: RunnerPool; directory: ChainDirectory };
  logger: Logger;
  audit?: (job: AuditJob) => void;
  metrics: GatewayMetrics;
}): RequestListener {
  const { config, chain, models, logger } = parts;
  const { pool, directory } = parts.runners;
  const reader = createPaymentChainReader(chain.chainClient, {
    contracts: chain.contracts,
    fromBlock: BigInt(chain.deployment.startBlock),
    cacheMs: config.chainCacheMs,
  });
  const generator = new Generator({
    pool,
    payments: new PaymentSessionPool({
      chainId: chain.chainId,
      paymentEscrow: chain.contracts.paymentEscrow,
    }),
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
  return createGatewayApp({
    models,
    listings: () => directory.listings,
    generator,
    authenticator: new Authenticator(reader),
    queue: new BuyerQueue({
      maxRunning: config.maxRunningPerBuyer,
      maxWaiting: config.maxWaitingPerBuyer,
      maxWaitMs: config.queueWaitMs,
    }),
    modelQueue: new BuyerQueue({
      maxRunning: config.maxRunningPerModel,
      maxWaiting: config.maxWaitingPerModel,
      maxWaitMs: config.queueWaitMs,
      full: "model",
    }),
    metrics: parts.metrics,
    ...(parts.audit === undefined ? {} : { audit: parts.audit }),
    defaultMaxTokens: config.defaultMaxTokens,
    receipts: {
      store: new ReceiptStore({
        maxEntries: config.receiptsMaxEntries,
        maxAgeMs: config.receiptsMaxAgeSeconds * 1000,
      }),
      domain: { chainId: chain.chainId, runnerRegistry: chain.contracts.runnerRegistry },
      now: latestBlockTime(chain.chainClient),
    },
    pool,
    logger,
  });
}

async function listen(config: GatewayConfig, app: RequestListener): Promise<Built<Server>> {
  const server = await listenGateway(app, config).catch((cause: unknown) => {
    throw new GatewayListenError(config.host, config.port, { cause });
  });
  return {
    value: server,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Starts a gateway in phases: connects to the chain, loads the served models' tokenizers, reads the models and
 * runners from the chain and follows the registries' events, verifies runners' attestations, health-checks them,
 * and serves the OpenAI API. When a phase fails, what the earlier ones built is closed, last first, and it throws
 * {@link GatewayStartupError} ({@link GatewayListenError} for a port it cannot take).
 */
export async function startGateway(parameters: StartGatewayParameters): Promise<StartedGateway> {
  const { config } = parameters;
  const logger = parameters.logger ?? pino({ level: config.logLevel, base: { service: "teetee-gateway" } });
  const phases = new Phases({
    wrap: (phase, error) =>
      error instanceof TeeTeeError
        ? error
        : new GatewayStartupError(`Start-up failed while ${phase}`, { cause: error }),
    onCloseError: (phase, error) =>
      logger.warn({ phase, err: { message: describe(error) } }, "undoing a failed start-up failed"),
  });
  const chain = await phases.step("connecting to the chain", () => connectChain(config));
  const models = await phases.step("loading the models", () =>
    Promise.all(config.models.map((m) => loadServedModel(m.dir, m.name))),
  );
  const runners = await phases.open("following the runners", () =>
    followRunners(config, chain, models, logger),
  );
  const metrics = createGatewayMetrics();
  const auditor = await phases.open("starting the auditor", () =>
    startAuditor({ config, chain, models, pool: runners.pool, registry: metrics.registry, logger }),
  );
  const app = assembleApp({
    config,
    chain,
    models,
    runners,
    logger,
    metrics,
    ...(auditor === undefined ? {} : { audit: (job: AuditJob) => auditor.offer(job) }),
  });
  const server = await phases.open("listening", () => listen(config, app));
  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
  if (config.readyFile !== undefined) writeFileSync(config.readyFile, JSON.stringify({ url }));
  logger.info(
    { url, models: models.map((m) => ({ name: m.name, modelId: m.modelId })) },
    "gateway listening",
  );
  return { url, ...runners, auditor, close: () => phases.close("shutdown") };
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
