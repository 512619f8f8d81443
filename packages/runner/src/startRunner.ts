import type { AddressInfo } from "node:net";
import { DstackClient } from "@phala/dstack-sdk";
import { getDeployment } from "@teetee/contracts/deployments";
import { describe } from "@teetee/errors";
import {
  loadManifest,
  type Manifest,
  ManifestError,
  modelIdOf,
  ShardSession,
  verifyShardFiles,
  WeightFormatError,
} from "@teetee/inference";
import { isLocalChainId, type TeeTeeContracts } from "@teetee/sdk/contracts";
import { withRetry } from "@teetee/sdk/payments";
import { RouteVerifier } from "@teetee/sdk/pipeline";
import type { RunnerAttestationDocument } from "@teetee/sdk/protocol";
import { ReplayGuard, WireReceiver } from "@teetee/sdk/wire";
import pino, { type Logger } from "pino";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { attestRunner } from "./attestRunner.js";
import type { RunnerConfig } from "./config.js";
import { createFrameProcessor, createRunnerApp } from "./createRunnerApp.js";
import { ensureRegistration, type RegistrationOutcome } from "./ensureRegistration.js";
import { RunnerStartupError } from "./errors.js";
import { FrameHandler } from "./FrameHandler.js";
import { isNonceRace } from "./isNonceRace.js";
import { listenRunner } from "./listenRunner.js";
import { createRunnerMetrics } from "./metrics.js";
import { allowAllPayments, type PaymentHook } from "./PaymentHook.js";
import { ResultMailbox } from "./ResultMailbox.js";
import { type RunnerPayments, startRunnerPayments } from "./runnerPayments.js";
import { SessionStore } from "./SessionStore.js";
import { loadOrCreateRunnerKey } from "./sealedRunnerKey.js";

/** How long the last shard holds a sender's `await` for its step: as long as a sender waits for a frame. */
const AWAIT_TIMEOUT_MS = 120_000;

export type StartRunnerParameters = {
  config: RunnerConfig;
  payment?: PaymentHook;
  logger?: Logger;
};

export type StartedRunner = {
  /** Where the runner listens. */
  url: string;
  /** The endpoint registered on-chain. */
  endpoint: string;
  address: Address;
  attestation: RunnerAttestationDocument;
  registration: RegistrationOutcome;
  close: () => Promise<void>;
};

async function checkShard(config: RunnerConfig): Promise<{ manifest: Manifest; weightsHash: Hex }> {
  try {
    const manifest = await loadManifest(config.modelDir);
    const weightsHash = await verifyShardFiles(manifest, config.shardIndex, config.modelDir);
    return { manifest, weightsHash };
  } catch (cause) {
    // Both mean the shard on disk is not the one the manifest describes: refuse, naming what differs.
    if (!(cause instanceof ManifestError || cause instanceof WeightFormatError)) throw cause;
    throw new RunnerStartupError(`Refusing to start: ${cause.shortMessage}`, {
      cause,
      ...(cause.hint === undefined ? {} : { hint: cause.hint }),
    });
  }
}

type RunnerContracts = Pick<TeeTeeContracts, "runnerRegistry" | "modelRegistry"> & {
  /** Unknown only for a runner serving free on a local chain. */
  paymentEscrow: Address | undefined;
};

function resolveContracts(config: RunnerConfig, chainId: number): RunnerContracts {
  const needsDeployment =
    config.runnerRegistry === undefined ||
    config.modelRegistry === undefined ||
    (config.paymentEscrow === undefined && !config.free);
  if (!needsDeployment) {
    return {
      runnerRegistry: config.runnerRegistry!,
      modelRegistry: config.modelRegistry!,
      paymentEscrow: config.paymentEscrow,
    };
  }
  try {
    const deployment = getDeployment(chainId);
    return {
      runnerRegistry: config.runnerRegistry ?? deployment.runnerRegistry,
      modelRegistry: config.modelRegistry ?? deployment.modelRegistry,
      paymentEscrow: config.paymentEscrow ?? deployment.paymentEscrow,
    };
  } catch (cause) {
    throw new RunnerStartupError(`No TeeTee deployment known for chain ${chainId}`, {
      cause,
      hint: "Pass --runner-registry, --model-registry and --payment-escrow.",
    });
  }
}

async function connectChain(config: RunnerConfig) {
  const publicClient = createPublicClient({ transport: http(config.rpcUrl) }) as PublicClient;
  const chainId = await publicClient.getChainId().catch((cause: unknown) => {
    throw new RunnerStartupError(`Cannot reach the chain at ${config.rpcUrl}`, { cause });
  });
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
  const contributorWallet =
    config.contributorKey === undefined
      ? undefined
      : createWalletClient({
          account: privateKeyToAccount(config.contributorKey),
          chain,
          transport: http(config.rpcUrl),
        });
  const settlerKey = config.contributorKey ?? config.settlerKey;
  const settlerWallet =
    settlerKey === undefined
      ? undefined
      : createWalletClient({
          account: privateKeyToAccount(settlerKey),
          chain,
          transport: http(config.rpcUrl),
        });
  return {
    publicClient,
    chainId,
    contributorWallet,
    settlerWallet,
    contracts: resolveContracts(config, chainId),
  };
}

/**
 * Starts a shard runner: checks every shard file against the manifest, unseals (or makes) the runner key in
 * the TEE, gets a quote committing to its registration, registers or refreshes it on-chain (or logs the exact
 * call), loads the shard, and serves frames. Throws {@link RunnerStartupError} with the reason it refused.
 */
export async function startRunner(params: StartRunnerParameters): Promise<StartedRunner> {
  const { config } = params;
  const log =
    params.logger ??
    pino({ level: config.logLevel, base: { service: "teetee-runner", shard: config.shardIndex } });
  const { manifest, weightsHash } = await checkShard(config);
  const modelId = modelIdOf(manifest);
  const dstack = new DstackClient(config.dstackEndpoint);
  const key = await loadOrCreateRunnerKey({ dataDir: config.dataDir, dstack });
  const account = privateKeyToAccount(key.privateKey);
  log.info(
    { runner: account.address, created: key.created },
    key.created ? "runner key created and sealed" : "runner key unsealed",
  );
  const chain = await connectChain(config);
  if (config.allowPlaintextFrames && !isLocalChainId(chain.chainId)) {
    throw new RunnerStartupError(`Plaintext frames are refused on chain ${chain.chainId}`, {
      hint: "They exist for local benchmarks only.",
    });
  }
  if (config.free && !isLocalChainId(chain.chainId)) {
    throw new RunnerStartupError(`Serving without payment checks is refused on chain ${chain.chainId}`, {
      hint: "--free exists for local benchmarks only.",
    });
  }
  const publicKey = `0x${account.publicKey.slice(4)}` as Hex;
  const attestation = await attestRunner({
    dstack,
    commitment: {
      chainId: chain.chainId,
      registry: chain.contracts.runnerRegistry,
      modelId,
      shardIndex: config.shardIndex,
      runner: account.address,
      weightsHash,
    },
    publicKey,
    manifest,
  });
  const endpoint = config.publicUrl ?? `http://${config.host}:${config.port}`;
  // Runners of one contributor starting together sign with the same key and may race for a nonce: the loser
  // reads the record again and retries (its transaction never went out).
  const register = (contributorWallet = chain.contributorWallet) =>
    withRetry(
      () =>
        ensureRegistration({
          publicClient: chain.publicClient,
          contributorWallet,
          contributor: config.contributor,
          runnerAccount: account,
          contracts: chain.contracts,
          document: attestation,
          endpoint,
        }),
      { attempts: 5, baseMs: 200, retryable: isNonceRace },
    );
  const registration = await register();
  if (registration.action === "printed") {
    log.info(
      { call: registration.call },
      "runner not registered: submit this call from the contributor's account",
    );
  } else {
    log.info(
      {
        action: registration.action,
        ...("transaction" in registration ? { transaction: registration.transaction } : {}),
      },
      "on-chain registration",
    );
  }

  const shard = await ShardSession.create({
    dir: config.modelDir,
    shardIndex: config.shardIndex,
    manifest,
    verify: false,
    ...(config.intraOpThreads === undefined ? {} : { intraOpNumThreads: config.intraOpThreads }),
  });
  const payments = paymentsFor(params, {
    runner: account.address,
    modelId,
    shardCount: manifest.shards.length,
    chain,
    log,
  });
  const metrics = createRunnerMetrics();
  const store = new SessionStore(
    shard,
    {
      maxSessions: config.maxSessions,
      maxKvBytes: config.maxKvBytes,
      maxSequenceLength: Math.min(
        config.maxSequenceLength ?? manifest.config.maxPositions,
        manifest.config.maxPositions,
      ),
      idleTimeoutMs: config.idleTimeoutMs,
    },
    payments.abandon,
  );
  const verifier = new RouteVerifier({
    client: chain.publicClient,
    contracts: chain.contracts,
    chainId: chain.chainId,
    policy: { allowDevQuotes: (config.allowDevQuotes ?? true) && isLocalChainId(chain.chainId) },
  });
  const handler = new FrameHandler({
    shard,
    store,
    runner: account.address,
    modelId,
    verifier,
    payment: payments.hook,
    metrics,
    mailbox: new ResultMailbox({ maxEntries: config.maxSessions, timeoutMs: AWAIT_TIMEOUT_MS }),
  });
  const appParams = {
    handler,
    receiver: new WireReceiver({ privateKey: key.privateKey }),
    plainGuard: config.allowPlaintextFrames ? new ReplayGuard() : undefined,
    store,
    metrics,
    attestation,
    maxBodyBytes: config.maxBodyBytes,
    log,
    registration: () => register(undefined),
  };
  const { server, frameStream } = await listenRunner(createRunnerApp(appParams), {
    ...config,
    frameStream: {
      processFrame: createFrameProcessor(appParams),
      maxBodyBytes: config.maxBodyBytes,
      log,
      metrics,
    },
  }).catch((cause: unknown) => {
    throw new RunnerStartupError(`Cannot listen on ${config.host}:${config.port}`, { cause });
  });
  const { port } = server.address() as AddressInfo;
  const timers = [
    setInterval(
      () => {
        const evicted = store.evictIdle(Date.now());
        if (evicted > 0) {
          metrics.evictions.inc(evicted);
          log.info({ evicted }, "idle sessions evicted");
        }
      },
      Math.max(1000, Math.floor(config.idleTimeoutMs / 4)),
    ),
    // Keep the on-chain attestation fresh: ensureRegistration refreshes once half the TTL has passed.
    setInterval(() => {
      register().catch((error: unknown) =>
        log.warn({ err: { message: describe(error) } }, "attestation refresh failed"),
      );
    }, 5 * 60_000),
  ];
  for (const timer of timers) timer.unref();
  const url = `http://${config.host}:${port}`;
  log.info(
    { url, endpoint, runner: account.address, modelId, shardIndex: config.shardIndex },
    "runner listening",
  );
  return {
    url,
    endpoint,
    address: account.address,
    attestation,
    registration,
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        frameStream.closeAll();
      });
      await payments.close();
      await shard.release();
    },
  };
}

type ConnectedChain = Awaited<ReturnType<typeof connectChain>>;

/** The payment hook a caller gave, no checks for a `--free` local runner, or vouchers checked and settled. */
function paymentsFor(
  params: StartRunnerParameters,
  runner: { runner: Address; modelId: Hex; shardCount: number; chain: ConnectedChain; log: Logger },
): RunnerPayments {
  const unchecked = (hook: PaymentHook): RunnerPayments => ({
    hook,
    abandon: () => undefined,
    close: async () => undefined,
  });
  if (params.payment !== undefined) return unchecked(params.payment);
  const { chain, log } = runner;
  const { paymentEscrow } = chain.contracts;
  if (params.config.free || paymentEscrow === undefined) {
    log.warn("serving without payment checks (--free, local chain)");
    return unchecked(allowAllPayments);
  }
  return startRunnerPayments({
    config: params.config,
    runner: runner.runner,
    modelId: runner.modelId,
    shardCount: runner.shardCount,
    chainId: chain.chainId,
    publicClient: chain.publicClient,
    contracts: { ...chain.contracts, paymentEscrow },
    settlerWallet: chain.settlerWallet,
    log,
  });
}
