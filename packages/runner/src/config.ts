import { parseArgs } from "node:util";
import { serverLimitOptions, serverLimitsShape } from "@teetee/sdk/http";
import { type Address, getAddress, type Hex, isAddress } from "viem";
import { z } from "zod";
import { RunnerStartupError } from "./errors.js";

const address = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), "expected an address")
  .transform((value) => getAddress(value) as Address);
const privateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x followed by 64 hex digits")
  .transform((value) => value as Hex);
const integer = (min: number) => z.coerce.number().int().min(min);
const flag = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1"),
]);

/** Everything a runner is told at start; validated here, trusted inside. */
export const runnerConfigSchema = z.object({
  /** The shard folder written by `shardModel` (manifest.json and the shard's files). */
  modelDir: z.string().min(1),
  shardIndex: integer(0),
  port: integer(0).max(65535).default(8080),
  /** Loopback by default: exposing a runner is a deliberate act. */
  host: z.string().default("127.0.0.1"),
  /** The endpoint registered on-chain (base URL); default http://host:port. */
  publicUrl: z.url().optional(),
  /** The dstack guest agent: an http URL (a simulator or dev-tee); default DSTACK_SIMULATOR_ENDPOINT or the socket. */
  dstackEndpoint: z.string().optional(),
  rpcUrl: z.url().default("http://127.0.0.1:8545"),
  runnerRegistry: address.optional(),
  modelRegistry: address.optional(),
  /** Where the sealed runner key lives. */
  dataDir: z.string().default(".teetee/runner"),
  /** Contributor key that submits registration transactions; from the environment only, never logged. */
  contributorKey: privateKey.optional(),
  /** Without a contributor key: the contributor the printed registration's consent is signed for. */
  contributor: address.optional(),
  /** The escrow whose vouchers pay this runner; default: the chain's deployment file. */
  paymentEscrow: address.optional(),
  /** Serve without payment checks (local benchmarks only); refused off a local chain. */
  free: flag.default(false),
  /** Pays the gas of settlement when there is no contributor key (any account may redeem); environment only. */
  settlerKey: privateKey.optional(),
  /** How often the settler looks for vouchers due, ms. */
  settlePollMs: integer(100).default(15_000),
  /** Redeem a channel idle this long, ms. */
  settleIdleMs: integer(0).default(600_000),
  /** Redeem everything once this much (payment-token base units) is unredeemed. */
  settleThreshold: z.coerce.bigint().default(1_000_000n),
  /** Accept development quotes from next runners; only ever honoured on a local chain. Default: on a local chain. */
  allowDevQuotes: flag.optional(),
  /** Accept unencrypted frames (benchmarks only); refused off a local chain. */
  allowPlaintextFrames: flag.default(false),
  maxSessions: integer(1).default(64),
  maxKvBytes: integer(1).default(2 * 1024 ** 3),
  /** Default: the model's maximum positions. */
  maxSequenceLength: integer(1).optional(),
  maxBodyBytes: integer(1024).default(16 * 1024 ** 2),
  /** Sequences per shard call (continuous batching). */
  maxBatchSize: integer(1).default(16),
  /** Positions per shard call, decode steps and prefill chunks together. */
  maxBatchPositions: integer(1).default(256),
  /** A prefill frame longer than this is computed in chunks over several batches, so decodes keep flowing. */
  prefillChunk: integer(1).default(128),
  /** Steps waiting for a batch; more frames are refused with 503 and Retry-After. */
  maxQueuedSteps: integer(1).default(256),
  /** Bytes of the buffers a batch of decode steps is gathered into (outside maxKvBytes); default maxKvBytes / 4. */
  batchKvBytes: integer(1).optional(),
  idleTimeoutMs: integer(1000).default(300_000),
  intraOpThreads: integer(1).optional(),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ...serverLimitsShape,
  // Longer than a sender's pause between a session's frames, so the gateway and upstream runners reuse connections.
  keepAliveTimeoutMs: integer(1).default(65_000),
});

export type RunnerConfig = z.output<typeof runnerConfigSchema>;
export type RunnerConfigInput = z.input<typeof runnerConfigSchema>;

type Option = { flag: string; env: string; key: keyof RunnerConfigInput; help: string; boolean?: true };

/** Every flag, its environment variable and config key. The contributor key has no flag: flags show in `ps`. */
export const runnerOptions: readonly Option[] = [
  {
    flag: "model-dir",
    env: "TEETEE_MODEL_DIR",
    key: "modelDir",
    help: "shard folder (manifest.json + files)",
  },
  { flag: "shard", env: "TEETEE_SHARD_INDEX", key: "shardIndex", help: "shard index this runner serves" },
  { flag: "port", env: "TEETEE_PORT", key: "port", help: "listen port (default 8080)" },
  { flag: "host", env: "TEETEE_HOST", key: "host", help: "listen address (default 127.0.0.1)" },
  { flag: "public-url", env: "TEETEE_PUBLIC_URL", key: "publicUrl", help: "endpoint registered on-chain" },
  {
    flag: "dstack-endpoint",
    env: "DSTACK_SIMULATOR_ENDPOINT",
    key: "dstackEndpoint",
    help: "dstack agent URL",
  },
  {
    flag: "rpc-url",
    env: "TEETEE_RPC_URL",
    key: "rpcUrl",
    help: "JSON-RPC URL (default http://127.0.0.1:8545)",
  },
  {
    flag: "runner-registry",
    env: "TEETEE_RUNNER_REGISTRY",
    key: "runnerRegistry",
    help: "RunnerRegistry address",
  },
  {
    flag: "model-registry",
    env: "TEETEE_MODEL_REGISTRY",
    key: "modelRegistry",
    help: "ModelRegistry address",
  },
  {
    flag: "data-dir",
    env: "TEETEE_DATA_DIR",
    key: "dataDir",
    help: "sealed key folder (default .teetee/runner)",
  },
  {
    flag: "contributor",
    env: "TEETEE_CONTRIBUTOR",
    key: "contributor",
    help: "contributor address for printed consent",
  },
  {
    flag: "payment-escrow",
    env: "TEETEE_PAYMENT_ESCROW",
    key: "paymentEscrow",
    help: "PaymentEscrow address (default: deployment file)",
  },
  {
    flag: "free",
    env: "TEETEE_FREE",
    key: "free",
    help: "serve without payment checks (local chains only)",
    boolean: true,
  },
  {
    flag: "settle-poll-ms",
    env: "TEETEE_SETTLE_POLL_MS",
    key: "settlePollMs",
    help: "settler poll interval (default 15000)",
  },
  {
    flag: "settle-idle-ms",
    env: "TEETEE_SETTLE_IDLE_MS",
    key: "settleIdleMs",
    help: "redeem a channel idle this long (default 600000)",
  },
  {
    flag: "settle-threshold",
    env: "TEETEE_SETTLE_THRESHOLD",
    key: "settleThreshold",
    help: "redeem once this much is unredeemed (default 1000000)",
  },
  {
    flag: "allow-dev-quotes",
    env: "TEETEE_ALLOW_DEV_QUOTES",
    key: "allowDevQuotes",
    help: "accept dev quotes (local chains only)",
    boolean: true,
  },
  {
    flag: "allow-plaintext-frames",
    env: "TEETEE_ALLOW_PLAINTEXT_FRAMES",
    key: "allowPlaintextFrames",
    help: "accept unencrypted frames (benchmarks, local chains only)",
    boolean: true,
  },
  {
    flag: "max-sessions",
    env: "TEETEE_MAX_SESSIONS",
    key: "maxSessions",
    help: "concurrent sessions (default 64)",
  },
  {
    flag: "max-kv-bytes",
    env: "TEETEE_MAX_KV_BYTES",
    key: "maxKvBytes",
    help: "KV cache memory (default 2 GiB)",
  },
  {
    flag: "max-sequence",
    env: "TEETEE_MAX_SEQUENCE",
    key: "maxSequenceLength",
    help: "positions per session (default: the model's)",
  },
  {
    flag: "max-body-bytes",
    env: "TEETEE_MAX_BODY_BYTES",
    key: "maxBodyBytes",
    help: "frame size limit (default 16 MiB)",
  },
  {
    flag: "max-batch-size",
    env: "TEETEE_MAX_BATCH_SIZE",
    key: "maxBatchSize",
    help: "sequences per shard call (default 16)",
  },
  {
    flag: "max-batch-positions",
    env: "TEETEE_MAX_BATCH_POSITIONS",
    key: "maxBatchPositions",
    help: "positions per shard call (default 256)",
  },
  {
    flag: "prefill-chunk",
    env: "TEETEE_PREFILL_CHUNK",
    key: "prefillChunk",
    help: "prefill positions per batch (default 128)",
  },
  {
    flag: "max-queued-steps",
    env: "TEETEE_MAX_QUEUED_STEPS",
    key: "maxQueuedSteps",
    help: "steps waiting for a batch, then 503 (default 256)",
  },
  {
    flag: "batch-kv-bytes",
    env: "TEETEE_BATCH_KV_BYTES",
    key: "batchKvBytes",
    help: "batched decode buffers (default: max-kv-bytes / 4)",
  },
  {
    flag: "idle-timeout-ms",
    env: "TEETEE_IDLE_TIMEOUT_MS",
    key: "idleTimeoutMs",
    help: "evict sessions idle this long (default 300000)",
  },
  ...serverLimitOptions({ streams: "frame streams", keepAliveDefaultMs: 65_000 }),
  { flag: "threads", env: "TEETEE_THREADS", key: "intraOpThreads", help: "onnxruntime intra-op threads" },
  { flag: "log-level", env: "TEETEE_LOG_LEVEL", key: "logLevel", help: "pino level (default info)" },
];

export const runnerUsage = `Usage: pnpm exec tsx packages/runner/src/main.ts --model-dir DIR --shard N [options]

Serves one shard of a TeeTee model inside a dstack TEE. Every flag can also be set by its environment
variable (or in .env). TEETEE_CONTRIBUTOR_KEY (environment or .env only) registers the runner on-chain and
pays the gas of settling vouchers; TEETEE_SETTLER_KEY pays it instead when the contributor key stays outside.

${runnerOptions.map((o) => `  --${o.flag.padEnd(24)} ${o.env.padEnd(30)} ${o.help}`).join("\n")}
  --help`;

/** The batch buffers' limit: `--batch-kv-bytes`, else a quarter of `--max-kv-bytes` (at least 1). */
export function batchKvBytesOf(config: Pick<RunnerConfig, "batchKvBytes" | "maxKvBytes">): number {
  return config.batchKvBytes ?? Math.max(1, Math.floor(config.maxKvBytes / 4));
}

/** Reads flags over environment variables and validates the result; throws {@link RunnerStartupError}. */
export function parseRunnerConfig(argv: readonly string[], env: NodeJS.ProcessEnv): RunnerConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      runnerOptions.map((o) => [o.flag, { type: o.boolean ? ("boolean" as const) : ("string" as const) }]),
    ),
    strict: true,
  });
  const input: Record<string, unknown> = {};
  for (const option of runnerOptions) {
    const value = values[option.flag] ?? env[option.env];
    if (value !== undefined && value !== "") input[option.key] = value;
  }
  if (env["TEETEE_CONTRIBUTOR_KEY"]) input["contributorKey"] = env["TEETEE_CONTRIBUTOR_KEY"];
  if (env["TEETEE_SETTLER_KEY"]) input["settlerKey"] = env["TEETEE_SETTLER_KEY"];
  const parsed = runnerConfigSchema.safeParse(input);
  if (!parsed.success) {
    // The issues name fields, never values, so a malformed contributor key is not echoed.
    const fields = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new RunnerStartupError("Invalid runner configuration", {
      details: fields,
      hint: "Run with --help.",
    });
  }
  return parsed.data;
}
