import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, TeeTeeError } from "@teetee/errors";
import { loadManifest, modelIdOf, Sampler, ShardSession } from "@teetee/inference";
import { getRunnerLock, slash, type TeeTeeClient } from "@teetee/sdk/contracts";
import type { Built } from "@teetee/sdk/lifecycle";
import {
  type ApiKey,
  encodePaymentTicket,
  type ModelPrices,
  parseApiKey,
  requestIdOf,
} from "@teetee/sdk/payments";
import {
  type AuditPayer,
  type AuditRouteReturnType,
  AuditSampler,
  auditRoute,
  type ShardAudit,
} from "@teetee/sdk/pipeline";
import {
  type AuditEvidence,
  activationError,
  auditEvidenceHash,
  auditEvidenceJson,
  checkAuditEvidence,
  type EvidencePayload,
  evidenceRows,
  hiddenEvidence,
} from "@teetee/sdk/receipts";
import type { WireSampling } from "@teetee/sdk/wire";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { type Address, createWalletClient, type Hash, type Hex, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { GatewayConfig } from "./config.js";
import { GatewayStartupError } from "./errors.js";
import { PaymentSessionPool } from "./PaymentSessionPool.js";
import { isUsable, type RunnerPool, type RunnerState } from "./RunnerPool.js";
import type { ServedModel } from "./ServedModel.js";

/** What the gateway saw of a completed request: enough to run it again. */
export type AuditJob = {
  /** The answer's id (`chatcmpl-…`): evidence files are named by it. */
  requestId: string;
  modelId: Hex;
  prices: ModelPrices;
  promptIds: readonly number[];
  tokens: readonly number[];
  sampling: WireSampling;
  /** The route that completed the request, one runner per shard. */
  route: readonly RunnerState[];
};

export type AuditOutcome = "agreed" | "diverged" | "skipped" | "failed";

export type AuditMetrics = {
  /** Audits by outcome: `run` for each started, then one of agreed / diverged / skipped / failed. */
  audits: Counter<"outcome">;
  /** Audits sampled but not run: the queue was full. */
  dropped: Counter;
};

export function createAuditMetrics(registry: Registry): AuditMetrics {
  return {
    audits: new Counter({
      name: "teetee_gateway_audits_total",
      help: "Audits by outcome (run, agreed, diverged, skipped, failed)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    dropped: new Counter({
      name: "teetee_gateway_audits_dropped_total",
      help: "Sampled audits dropped because the audit queue was full",
      registers: [registry],
    }),
  };
}

export type AuditorParameters = {
  sampler: { shouldAudit: () => boolean };
  /** Re-executes one request and says per shard what its replica found (see {@link createAuditRunner}). */
  audit: (job: AuditJob) => Promise<AuditRouteReturnType>;
  /** Called for each diverged shard, after the audit; its failure is logged, never thrown. */
  onDiverged?: (job: AuditJob, shard: ShardAudit & { evidence: AuditEvidence }) => Promise<void>;
  metrics: AuditMetrics;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /** Audits waiting to run; one sampled when full is dropped (and counted). Default 16. */
  maxQueued?: number;
  /** Audits running at once. Default 1. */
  concurrency?: number;
};

/**
 * The gateway's auditor: after a request completes, `offer` samples it (probability the sampler's rate) and queues
 * its re-execution. Audits run in the background, a few at a time, off the buyer's path: `offer` never waits and
 * never throws, a full queue drops the audit (counted), and an audit's failure is logged and counted, nothing more.
 */
export class Auditor {
  readonly #p: Required<Omit<AuditorParameters, "onDiverged">> & Pick<AuditorParameters, "onDiverged">;
  readonly #queue: AuditJob[] = [];
  #running = 0;
  #closed = false;
  readonly #idle: Array<() => void> = [];

  constructor(parameters: AuditorParameters) {
    this.#p = { maxQueued: 16, concurrency: 1, ...parameters };
  }

  /** Audits waiting and running now. */
  get depth(): { queued: number; running: number } {
    return { queued: this.#queue.length, running: this.#running };
  }

  /** Samples a completed request for audit; returns whether it was queued. */
  offer(job: AuditJob): boolean {
    try {
      if (this.#closed || !this.#p.sampler.shouldAudit()) return false;
      if (this.#queue.length >= this.#p.maxQueued) {
        this.#p.metrics.dropped.inc();
        this.#p.logger.warn({ requestId: job.requestId }, "audit queue full: audit dropped");
        return false;
      }
      this.#queue.push(job);
      this.#pump();
      return true;
    } catch (error) {
      this.#p.logger.error({ err: { message: describe(error) } }, "audit could not be scheduled");
      return false;
    }
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops taking audits and drops the queued ones; the running ones finish. */
  close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    return this.idle();
  }

  #pump(): void {
    while (this.#running < this.#p.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#running++;
      void this.#run(job).finally(() => {
        this.#running--;
        this.#pump();
        if (this.#queue.length === 0 && this.#running === 0) for (const done of this.#idle.splice(0)) done();
      });
    }
  }

  async #run(job: AuditJob): Promise<void> {
    const { metrics, logger } = this.#p;
    metrics.audits.inc({ outcome: "run" });
    let result: AuditRouteReturnType;
    try {
      result = await this.#p.audit(job);
    } catch (error) {
      metrics.audits.inc({ outcome: "failed" });
      logger.warn({ requestId: job.requestId, err: { message: describe(error) } }, "audit failed");
      return;
    }
    const outcome = outcomeOf(result);
    metrics.audits.inc({ outcome });
    logger.info(
      {
        requestId: job.requestId,
        reproduced: result.reproduced,
        shards: result.shards.map((s) => ({ shard: s.shardIndex, status: s.status, error: s.error })),
      },
      `audit ${outcome}`,
    );
    for (const shard of result.shards) {
      if (shard.evidence === undefined || this.#p.onDiverged === undefined) continue;
      await this.#p.onDiverged(job, { ...shard, evidence: shard.evidence }).catch((error: unknown) => {
        logger.error(
          { requestId: job.requestId, shard: shard.shardIndex, err: { message: describe(error) } },
          "handling a divergence failed",
        );
      });
    }
  }
}

/** An audit's outcome: diverged if any shard did, agreed if any was checked, skipped if none had a replica. */
function outcomeOf(result: AuditRouteReturnType): AuditOutcome {
  if (result.shards.some((s) => s.status === "diverged")) return "diverged";
  return result.shards.some((s) => s.status === "agreed") ? "agreed" : "skipped";
}

/** A bad `TEETEE_AUDIT_KEY` or audit option, at start-up. */
export class AuditConfigError extends GatewayStartupError {}

/** Parses the auditor's API key (`tt_<buyer>_<session key>`), naming the variable when it is wrong. */
export function parseAuditKey(value: string): ApiKey {
  try {
    return parseApiKey(value);
  } catch (cause) {
    throw new AuditConfigError("TEETEE_AUDIT_KEY is not an API key", {
      cause,
      hint: "Set it to the auditor's own buyer API key, tt_<buyer>_<session key>, funded and allocated to the routes it audits.",
    });
  }
}

export type AuditRunnerParameters = {
  chainId: number;
  runnerRegistry: Address;
  paymentEscrow: Address;
  pool: Pick<RunnerPool, "runners">;
  /** The auditor's own buyer account: it pays every re-execution, the audited buyer pays none. */
  apiKey: ApiKey;
  timeoutMs?: number;
};

/**
 * The real audit: the request again on its route and, for each shard, on another attested runner of it, paid with
 * the auditor's own vouchers (a payment session per route, reused across audits like the buyers' are).
 */
export function createAuditRunner(
  p: AuditRunnerParameters,
): (job: AuditJob) => Promise<AuditRouteReturnType> {
  const payments = new PaymentSessionPool({ chainId: p.chainId, paymentEscrow: p.paymentEscrow });
  return (job) =>
    auditRoute({
      chainId: p.chainId,
      runnerRegistry: p.runnerRegistry,
      modelId: job.modelId,
      route: job.route.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey })),
      replicas: job.route.map((audited) => replicaOf(p.pool, audited)),
      promptTokenIds: job.promptIds,
      completionTokenIds: job.tokens,
      sampling: job.sampling,
      pay: payerFor(payments, p.apiKey, job),
    });
}

/** Another verified runner of the audited runner's shard, the least busy; none when the shard has no other. */
function replicaOf(pool: Pick<RunnerPool, "runners">, audited: RunnerState) {
  const now = Date.now();
  const others = pool
    .runners(audited.modelId, audited.shardIndex)
    .filter((r) => r.runner !== audited.runner && isUsable(r, now))
    .sort((a, b) => a.inflight - b.inflight);
  const chosen = others[0];
  return chosen === undefined
    ? undefined
    : { runner: chosen.runner, endpoint: chosen.endpoint, publicKey: chosen.publicKey };
}

/**
 * Pays one re-execution from the auditor's account: a request ticket for its frames, a settle ticket for the
 * tokens it ran. Only a session that settled goes back to the pool (as in `Generator`).
 */
function payerFor(payments: PaymentSessionPool, apiKey: ApiKey, job: AuditJob): AuditPayer {
  return async (route, sessionId) => {
    const session = payments.lease(apiKey, job.modelId, route, job.prices);
    const requestId = requestIdOf(sessionId);
    const opening = await session.requestTicket({ requestId, maxOutputTokens: job.tokens.length });
    return {
      request: encodePaymentTicket(opening),
      settle: async (usage) => {
        const settle = await session.complete(requestId, {
          inputTokens: BigInt(usage.inputTokens),
          outputTokens: BigInt(usage.outputTokens),
        });
        payments.release(apiKey, session);
        return encodePaymentTicket(settle);
      },
    };
  };
}

export type DivergenceHandlerParameters = {
  /** Where evidence files go (created when missing). */
  dir: string;
  logger: Pick<Logger, "warn" | "error" | "info">;
  /** Shard folders by model id (the gateway's `--model` folders): the weights that decide who cheated. */
  modelDirs: ReadonlyMap<string, string>;
  /** Slashes the runner the weights name, when the gateway holds the slasher role's key. */
  slasher?: {
    client: TeeTeeClient;
    contracts: { staking: Address };
    /** The contributor staking for a runner (the route's and the pool's records). */
    stakerOf: (runner: Address) => Address | undefined;
  };
  /** Called after each slash transaction is mined (tests). */
  onSlashed?: (event: { runner: Address; evidenceHash: Hex; hash: Hash }) => void;
};

/**
 * What the gateway does with a divergence: writes the evidence JSON to `<dir>/<request id>-shard-<i>.json`, logs
 * it, and with a slasher key asks the shard's weights which of the two runners is wrong and slashes that one's
 * stake with the evidence file's hash. A divergence says only that one of two runners is wrong: without the
 * weights in the model folder nobody is slashed.
 */
export function createDivergenceHandler(
  p: DivergenceHandlerParameters,
): (job: AuditJob, shard: ShardAudit & { evidence: AuditEvidence }) => Promise<void> {
  mkdirSync(p.dir, { recursive: true });
  return async (job, shard) => {
    const json = JSON.stringify(auditEvidenceJson(shard.evidence));
    const file = join(p.dir, `${job.requestId}-shard-${shard.shardIndex}.json`);
    writeFileSync(file, json);
    const evidenceHash = auditEvidenceHash(json);
    p.logger.warn(
      {
        requestId: job.requestId,
        shard: shard.shardIndex,
        runner: shard.runner,
        replica: shard.replica,
        error: shard.error,
        file,
        evidenceHash,
      },
      "audit divergence: evidence written",
    );
    if (p.slasher === undefined) return;
    const dir = p.modelDirs.get(job.modelId.toLowerCase());
    const cheater = dir === undefined ? undefined : await cheaterOf(shard.evidence, dir);
    if (cheater === undefined) {
      p.logger.warn({ file }, "divergence not slashed: the shard's weights name no single cheater");
      return;
    }
    const staker = p.slasher.stakerOf(cheater);
    if (staker === undefined) {
      p.logger.warn({ file, cheater }, "divergence not slashed: the cheater's staker is unknown");
      return;
    }
    const { client, contracts } = p.slasher;
    const amount = await getRunnerLock(client, { contracts, staker, runner: cheater });
    if (amount === 0n) {
      p.logger.warn(
        { file, cheater },
        "divergence not slashed: nothing is locked behind the cheater any more",
      );
      return;
    }
    const hash = await slash(client, { contracts, staker, runner: cheater, amount, evidenceHash });
    p.logger.warn({ cheater, staker, amount: String(amount), hash, evidenceHash }, "runner slashed");
    p.onSlashed?.({ runner: cheater, evidenceHash, hash });
  };
}

/**
 * The runner the shard's registered weights say diverged: the evidence must hold together (both receipts bind
 * their outputs) and exactly one side must match what the weights compute from the same inputs (as `teetee audit
 * check` decides).
 */
export async function cheaterOf(evidence: AuditEvidence, modelDir: string): Promise<Address | undefined> {
  const bound = await checkAuditEvidence(evidence);
  if (!bound.bound) return undefined;
  const local = await replayWithWeights(evidence, modelDir);
  const within = (side: "audited" | "replica") =>
    evidence.frames.every((frame, i) => activationError(frame[side], local[i]!) <= evidence.tolerance);
  const auditedRight = within("audited");
  if (auditedRight === within("replica")) return undefined;
  return auditedRight ? bound.replicaSigner : bound.auditedSigner;
}

/** The shard folder given to replay evidence holds another model than the evidence's. */
export class EvidenceModelMismatchError extends TeeTeeError {
  override name = "EvidenceModelMismatchError" as const;
}

/**
 * What the shard's own weights give for the evidence's inputs, frame by frame, sampling as the last runner did: the
 * replay both the gateway's auditor and `teetee audit check` judge evidence by. The files are hashed against the
 * manifest, so the replay runs exactly the registered weights.
 */
export async function replayWithWeights(
  evidence: AuditEvidence,
  modelDir: string,
): Promise<EvidencePayload[]> {
  const manifest = await loadManifest(modelDir);
  if (modelIdOf(manifest).toLowerCase() !== evidence.modelId.toLowerCase()) {
    throw new EvidenceModelMismatchError(
      `The folder holds model ${modelIdOf(manifest)}, the evidence is about ${evidence.modelId}.`,
      { hint: "Point it at the model's shard folder." },
    );
  }
  const shard = await ShardSession.create({ dir: modelDir, shardIndex: evidence.shardIndex, manifest });
  try {
    const sampler = new Sampler(evidence.sampling);
    const outputs: EvidencePayload[] = [];
    for (const frame of evidence.frames) {
      const input =
        frame.input.type === "tokens"
          ? { inputIds: frame.input.tokenIds }
          : { hiddenStates: evidenceRows(frame.input) };
      const out = await shard.forward({ sessionId: "audit", ...input, logits: "last" });
      if (out.logits !== undefined) {
        outputs.push(
          frame.skipSample
            ? { type: "empty" }
            : { type: "sample", tokenId: sampler.sample(out.logits, out.cachedLength) },
        );
      } else {
        outputs.push(hiddenEvidence(out.hiddenStates!, manifest.config.hiddenSize));
      }
    }
    return outputs;
  } finally {
    await shard.release();
  }
}

export type StartAuditorParameters = {
  config: Pick<
    GatewayConfig,
    | "auditRate"
    | "auditDir"
    | "auditSeed"
    | "auditMaxQueued"
    | "auditConcurrency"
    | "auditKey"
    | "slasherKey"
    | "rpcUrl"
    | "models"
  >;
  chain: {
    chainId: number;
    chainClient: PublicClient;
    contracts: { paymentEscrow: Address; runnerRegistry: Address; staking: Address };
  };
  models: readonly ServedModel[];
  pool: Pick<RunnerPool, "runners" | "get">;
  registry: Registry;
  logger: Logger;
};

/**
 * The auditor phase of a gateway: none at audit rate 0; otherwise the auditor, paying with `TEETEE_AUDIT_KEY`,
 * writing evidence to `--audit-dir` and, with `TEETEE_SLASHER_KEY`, slashing. Closing it drops queued audits and
 * waits for the running ones.
 */
export async function startAuditor(p: StartAuditorParameters): Promise<Built<Auditor | undefined>> {
  const { config, chain, logger } = p;
  if (config.auditRate === 0) return { value: undefined };
  if (config.auditKey === undefined) {
    throw new AuditConfigError("--audit-rate needs the auditor's own API key in TEETEE_AUDIT_KEY", {
      hint: "Set TEETEE_AUDIT_KEY to a buyer API key of the auditor's own account (funded and allocated to the routes), never the buyers'.",
    });
  }
  const apiKey = parseAuditKey(config.auditKey);
  const modelDirs = new Map(p.models.map((m, i) => [m.modelId.toLowerCase(), config.models[i]!.dir]));
  const slasher =
    config.slasherKey === undefined
      ? undefined
      : {
          client: createWalletClient({
            account: privateKeyToAccount(config.slasherKey as Hex),
            chain: chain.chainClient.chain,
            transport: http(config.rpcUrl),
          }),
          contracts: { staking: chain.contracts.staking },
          stakerOf: (runner: Address) => p.pool.get(runner)?.contributor,
        };
  const auditor = new Auditor({
    sampler: new AuditSampler({
      rate: config.auditRate,
      ...(config.auditSeed === undefined ? {} : { random: seededRandom(config.auditSeed) }),
    }),
    audit: createAuditRunner({
      chainId: chain.chainId,
      runnerRegistry: chain.contracts.runnerRegistry,
      paymentEscrow: chain.contracts.paymentEscrow,
      pool: p.pool,
      apiKey,
    }),
    onDiverged: createDivergenceHandler({
      dir: config.auditDir,
      logger,
      modelDirs,
      ...(slasher === undefined ? {} : { slasher }),
    }),
    metrics: createAuditMetrics(p.registry),
    logger,
    maxQueued: config.auditMaxQueued,
    concurrency: config.auditConcurrency,
  });
  logger.info(
    { rate: config.auditRate, auditor: apiKey.buyer, dir: config.auditDir, slashing: slasher !== undefined },
    "auditor on",
  );
  return { value: auditor, close: () => auditor.close() };
}

/** A deterministic stream in [0, 1) (mulberry32), so that a seeded gateway audits the same requests every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
