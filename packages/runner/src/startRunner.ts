import type { AddressInfo } from "node:net";
import { DstackClient } from "@phala/dstack-sdk";
import { describe, TeeTeeError } from "@teetee/errors";
import {
  loadManifest,
  type Manifest,
  ManifestError,
  modelIdOf,
  ShardSession,
  verifyShardFiles,
  WeightFormatError,
} from "@teetee/inference";
import { isLocalChainId } from "@teetee/sdk/contracts";
import { type Built, Phases } from "@teetee/sdk/lifecycle";
import { withRetry } from "@teetee/sdk/payments";
import { RouteVerifier } from "@teetee/sdk/pipeline";
import type { RunnerAttestationDocument } from "@teetee/sdk/protocol";
import { ReplayGuard, WireReceiver } from "@teetee/sdk/wire";
import pino, { type Logger } from "pino";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { attestRunner } from "./attestRunner.js";
import { BatchScheduler } from "./BatchScheduler.js";
import { chainClock } from "./chainClock.js";
import { batchKvBytesOf, type RunnerConfig } from "./config.js";
import { type ConnectedChain, connectChain } from "./connectChain.js";
import { createFrameProcessor, createRunnerApp, type RunnerAppParameters } from "./createRunnerApp.js";
import { ensureRegistration, type RegistrationOutcome } from "./ensureRegistration.js";
import { RunnerListenError, RunnerStartupError } from "./errors.js";
import { FrameHandler } from "./FrameHandler.js";
import { isNonceRace } from "./isNonceRace.js";
import { type ListeningRunner, listenRunner } from "./listenRunner.js";
import { createRunnerMetrics, observeBatch } from "./metrics.js";
import { allowAllPayments, type PaymentHook } from "./PaymentHook.js";
import { ResultMailbox } from "./ResultMailbox.js";
import { openRunnerLedger, type RunnerPayments, startRunnerSettler } from "./runnerPayments.js";
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

/**
 * A test seam for the auditor's tests, honoured on local chains only: `TEETEE_TEST_UNVERIFIED_WEIGHTS=1` starts the
 * runner on whatever weights its folder holds while it claims the manifest's (a cheating runner, which attestation
 * alone cannot tell from an honest one when the TEE's code is the cheat). Refused on any other chain.
 */
export const UNVERIFIED_WEIGHTS_ENV = "TEETEE_TEST_UNVERIFIED_WEIGHTS";

async function checkShard(
  config: RunnerConfig,
  log: Logger,
): Promise<{ manifest: Manifest; weightsHash: Hex; unverified: boolean }> {
  try {
    const manifest = await loadManifest(config.modelDir);
    if (process.env[UNVERIFIED_WEIGHTS_ENV] === "1") {
      const claimed = manifest.shards[config.shardIndex];
      if (claimed === undefined)
        throw new RunnerStartupError(`The manifest has no shard ${config.shardIndex}`);
      log.warn(
        { env: UNVERIFIED_WEIGHTS_ENV },
        "NOT checking the shard files: a test of the auditor, local chains only",
      );
      return { manifest, weightsHash: claimed.weightsHash as Hex, unverified: true };
    }
    const weightsHash = await verifyShardFiles(manifest, config.shardIndex, config.modelDir);
    return { manifest, weightsHash, unverified: false };
  } catch (cause) {
    // Both mean the shard on disk is not the one the manifest describes: refuse, naming what differs.
    if (!(cause instanceof ManifestError || cause instanceof WeightFormatError)) throw cause;
    throw new RunnerStartupError(`Refusing to start: ${cause.shortMessage}`, {
      cause,
      ...(cause.hint === undefined ? {} : { hint: cause.hint }),
    });
  }
}

/** The runner's own key, unsealed (or made and sealed) in the TEE, and the TEE that quotes for it. */
async function unsealRunnerKey(config: RunnerConfig, log: Logger) {
  const dstack = new DstackClient(config.dstackEndpoint);
  const key = await loadOrCreateRunnerKey({ dataDir: config.dataDir, dstack });
  const account = privateKeyToAccount(key.privateKey);
  log.info(
    { runner: account.address, created: key.created },
    key.created ? "runner key created and sealed" : "runner key unsealed",
  );
  return { dstack, privateKey: key.privateKey, account };
}

type RunnerIdentity = Awaited<ReturnType<typeof unsealRunnerKey>>;
type CheckedShard = Awaited<ReturnType<typeof checkShard>>;

/**
 * A quote committing to this runner's registration, and the registration kept in line with it. Runners of one
 * contributor starting together sign with the same key and may race for a nonce: the loser reads the record again
 * and retries (its transaction never went out).
 */
async function attest(
  config: RunnerConfig,
  identity: RunnerIdentity,
  shard: CheckedShard,
  chain: ConnectedChain,
) {
  const { account } = identity;
  const attestation = await attestRunner({
    dstack: identity.dstack,
    commitment: {
      chainId: chain.chainId,
      registry: chain.contracts.runnerRegistry,
      modelId: modelIdOf(shard.manifest),
      shardIndex: config.shardIndex,
      runner: account.address,
      weightsHash: shard.weightsHash,
    },
    publicKey: `0x${account.publicKey.slice(4)}` as Hex,
    manifest: shard.manifest,
  });
  const endpoint = config.publicUrl ?? `http://${config.host}:${config.port}`;
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
  return { attestation, endpoint, register };
}

async function register(attested: Awaited<ReturnType<typeof attest>>, log: Logger) {
  const registration = await attested.register();
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
  return registration;
}

async function loadShard(config: RunnerConfig, manifest: Manifest): Promise<Built<ShardSession>> {
  const shard = await ShardSession.create({
    dir: config.modelDir,
    shardIndex: config.shardIndex,
    manifest,
    verify: false,
    ...(config.intraOpThreads === undefined ? {} : { intraOpNumThreads: config.intraOpThreads }),
  });
  return { value: shard, close: () => shard.release() };
}

/** The app's parts: sessions over the shard, route checks, the frame handler and what serves it over HTTP. */
function assembleApp(parts: {
  config: RunnerConfig;
  identity: RunnerIdentity;
  manifest: Manifest;
  shard: ShardSession;
  chain: ConnectedChain;
  payments: RunnerPayments;
  attested: Awaited<ReturnType<typeof attest>>;
  log: Logger;
}): RunnerAppParameters {
  const { config, manifest, shard, chain, payments, log } = parts;
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
  const scheduler = new BatchScheduler({
    shard,
    hiddenSize: manifest.config.hiddenSize,
    limits: {
      maxBatchSize: config.maxBatchSize,
      maxBatchPositions: config.maxBatchPositions,
      prefillChunk: Math.min(config.prefillChunk, config.maxBatchPositions),
      maxQueuedSteps: config.maxQueuedSteps,
      batchKvBytes: batchKvBytesOf(config),
    },
    observe: (batch) => observeBatch(metrics, batch),
  });
  const handler = new FrameHandler({
    shard,
    scheduler,
    store,
    runner: parts.identity.account.address,
    modelId: modelIdOf(manifest),
    verifier,
    payment: payments.hook,
    metrics,
    mailbox: new ResultMailbox({ maxEntries: config.maxSessions, timeoutMs: AWAIT_TIMEOUT_MS }),
    receiptSigner: {
      account: parts.identity.account,
      chainId: chain.chainId,
      runnerRegistry: chain.contracts.runnerRegistry,
      now: chainClock(chain.publicClient),
    },
  });
  return {
    handler,
    receiver: new WireReceiver({ privateKey: parts.identity.privateKey }),
    plainGuard: config.allowPlaintextFrames ? new ReplayGuard() : undefined,
    store,
    scheduler,
    metrics,
    attestation: parts.attested.attestation,
    maxBodyBytes: config.maxBodyBytes,
    log,
    registration: () => parts.attested.register(undefined),
  };
}

async function listen(config: RunnerConfig, app: RunnerAppParameters): Promise<Built<ListeningRunner>> {
  const listening = await listenRunner(createRunnerApp(app), {
    ...config,
    frameStream: {
      processFrame: createFrameProcessor(app),
      maxBodyBytes: config.maxBodyBytes,
      log: app.log,
      metrics: app.metrics,
    },
  }).catch((cause: unknown) => {
    throw new RunnerListenError(config.host, config.port, { cause });
  });
  const { server, frameStream } = listening;
  return {
    value: listening,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        frameStream.closeAll();
      }),
  };
}

/** Evicts idle sessions, and keeps the on-chain attestation fresh (ensureRegistration refreshes past half the TTL). */
function startHousekeeping(config: RunnerConfig, app: RunnerAppParameters): Built<void> {
  const { store, metrics, log } = app;
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
    setInterval(() => {
      app
        .registration()
        .catch((error: unknown) =>
          log.warn({ err: { message: describe(error) } }, "attestation refresh failed"),
        );
    }, 5 * 60_000),
  ];
  for (const timer of timers) timer.unref();
  return {
    value: undefined,
    close: () => {
      for (const timer of timers) clearInterval(timer);
    },
  };
}

/**
 * Starts a shard runner in phases: checks every shard file against the manifest, unseals (or makes) the runner key
 * in the TEE, connects to the chain, gets a quote committing to its registration, registers or refreshes it
 * on-chain (or logs the exact call), loads the shard, opens its voucher ledger and starts its settler, and serves
 * frames. When a phase fails, what the earlier ones built is closed, last first, and it throws
 * {@link RunnerStartupError} with the reason it refused ({@link RunnerListenError} for a port it cannot take).
 */
export async function startRunner(params: StartRunnerParameters): Promise<StartedRunner> {
  const { config } = params;
  const log =
    params.logger ??
    pino({ level: config.logLevel, base: { service: "teetee-runner", shard: config.shardIndex } });
  const phases = new Phases({
    wrap: (phase, error) =>
      error instanceof TeeTeeError
        ? error
        : new RunnerStartupError(`Start-up failed while ${phase}`, { cause: error }),
    onCloseError: (phase, error) =>
      log.warn({ phase, err: { message: describe(error) } }, "undoing a failed start-up failed"),
  });
  const checked = await phases.step("checking the shard files", () => checkShard(config, log));
  const identity = await phases.step("unsealing the runner key", () => unsealRunnerKey(config, log));
  const chain = await phases.step("connecting to the chain", () => connectChain(config));
  if (checked.unverified && !isLocalChainId(chain.chainId)) {
    throw new RunnerStartupError(`${UNVERIFIED_WEIGHTS_ENV} is refused on chain ${chain.chainId}`, {
      hint: "It is a test seam for local chains; unset it.",
    });
  }
  const attested = await phases.step("attesting", () => attest(config, identity, checked, chain));
  const registration = await phases.step("registering on-chain", () => register(attested, log));
  const shard = await phases.open("loading the shard", () => loadShard(config, checked.manifest));
  const payments = await openPayments(phases, params, { identity, manifest: checked.manifest, chain, log });
  const app = assembleApp({
    config,
    identity,
    manifest: checked.manifest,
    shard,
    chain,
    payments,
    attested,
    log,
  });
  const { server } = await phases.open("listening", () => listen(config, app));
  await phases.open("starting housekeeping", () => startHousekeeping(config, app));
  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
  log.info(
    {
      url,
      endpoint: attested.endpoint,
      runner: identity.account.address,
      modelId: modelIdOf(checked.manifest),
      shardIndex: config.shardIndex,
    },
    "runner listening",
  );
  return {
    url,
    endpoint: attested.endpoint,
    address: identity.account.address,
    attestation: attested.attestation,
    registration,
    close: () => phases.close("shutdown"),
  };
}

/**
 * The payment phases: the hook a caller gave, no checks for a `--free` local runner, or vouchers checked by a
 * ledger (its store open until close) and settled by a settler.
 */
async function openPayments(
  phases: Phases,
  params: StartRunnerParameters,
  runner: { identity: RunnerIdentity; manifest: Manifest; chain: ConnectedChain; log: Logger },
): Promise<RunnerPayments> {
  const unchecked = (hook: PaymentHook): RunnerPayments => ({ hook, abandon: () => undefined });
  if (params.payment !== undefined) return unchecked(params.payment);
  const { chain, log } = runner;
  const { paymentEscrow } = chain.contracts;
  if (params.config.free || paymentEscrow === undefined) {
    log.warn("serving without payment checks (--free, local chain)");
    return unchecked(allowAllPayments);
  }
  const paymentParameters = {
    config: params.config,
    runner: runner.identity.account.address,
    modelId: modelIdOf(runner.manifest),
    shardCount: runner.manifest.shards.length,
    chainId: chain.chainId,
    publicClient: chain.publicClient,
    contracts: { ...chain.contracts, paymentEscrow },
    settlerWallet: chain.settlerWallet,
    log,
  };
  const ledger = await phases.open("opening the voucher ledger", () => openRunnerLedger(paymentParameters));
  await phases.open("starting the settler", () => startRunnerSettler(paymentParameters, ledger.store));
  return ledger;
}
