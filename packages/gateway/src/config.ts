import { parseArgs } from "node:util";
import { serverLimitOptions, serverLimitsShape } from "@teetee/sdk/http";
import { type Address, getAddress, isAddress } from "viem";
import { z } from "zod";
import { GatewayStartupError } from "./errors.js";

const address = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), "expected an address")
  .transform((value) => getAddress(value) as Address);
const integer = (min: number) => z.coerce.number().int().min(min);
const flag = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1"),
]);

/** A served model: `DIR` or `NAME=DIR` (a shard folder holding manifest.json and the tokenizer files). */
const modelSpec = z.string().transform((spec) => {
  const at = spec.indexOf("=");
  return at > 0 ? { name: spec.slice(0, at), dir: spec.slice(at + 1) } : { name: undefined, dir: spec };
});

/** Everything a gateway is told at start; validated here, trusted inside. */
export const gatewayConfigSchema = z.object({
  models: z.array(modelSpec, { error: "name at least one --model" }).min(1, "name at least one --model"),
  rpcUrl: z.url().default("http://127.0.0.1:8545"),
  /** A deployment file (`packages/contracts/deployments/<chainId>.json`); default: the chain's known deployment. */
  deployment: z.string().optional(),
  port: integer(0).max(65535).default(8000),
  host: z.string().default("127.0.0.1"),
  /** Accept development quotes; only ever honoured on a local chain. Default: on a local chain. */
  allowDevQuotes: flag.optional(),
  topology: z.enum(["forward", "gateway"]).default("forward"),
  timeoutMs: integer(100).default(30_000),
  maxFailovers: integer(0).default(3),
  maxRunningPerBuyer: integer(1).default(4),
  maxWaitingPerBuyer: integer(0).default(64),
  queueWaitMs: integer(0).default(30_000),
  maxRunningPerModel: integer(1).default(64),
  maxWaitingPerModel: integer(0).default(256),
  discoveryPollMs: integer(100).default(2000),
  healthIntervalMs: integer(100).default(5000),
  defaultMaxTokens: integer(1).default(256),
  /** Verify each runner's attestation again at least this often, seconds (also on a new quote and at its TTL). */
  attestationRecheckSeconds: integer(1).default(300),
  /** Reuse chain reads for API-key checks this long, ms. */
  chainCacheMs: integer(0).default(2000),
  /** Answers whose receipt bundles are kept for `GET /v1/receipts/:id`; the oldest goes first. */
  receiptsMaxEntries: integer(1).default(2000),
  /** How long an answer's receipt bundle is kept, seconds. */
  receiptsMaxAgeSeconds: integer(1).default(3600),
  /** Write `{ url }` here once listening. */
  readyFile: z.string().optional(),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  paymentEscrow: address.optional(),
  modelRegistry: address.optional(),
  runnerRegistry: address.optional(),
  /** The share of completed requests re-executed on replicas by the auditor (0: no auditor). */
  auditRate: z.coerce.number().min(0).max(1).default(0),
  /** Where divergence evidence is written. */
  auditDir: z.string().default("audits"),
  /** Seeds the audit sampler (reproducible sampling); random when unset. */
  auditSeed: integer(0).optional(),
  /** Sampled audits waiting to run; more are dropped. */
  auditMaxQueued: integer(0).default(16),
  auditConcurrency: integer(1).default(1),
  /** The auditor's own buyer API key, which pays its re-executions (env only: never in a file of the repo). */
  auditKey: z.string().optional(),
  /** The slasher role's private key: divergences the weights attribute are slashed on-chain (env only). */
  slasherKey: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte hex private key")
    .optional(),
  ...serverLimitsShape,
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

type Option = {
  flag: string;
  env: string;
  key: keyof GatewayConfigInput;
  help: string;
  boolean?: true;
  multiple?: true;
};

export const gatewayOptions: readonly Option[] = [
  {
    flag: "model",
    env: "TEETEE_MODELS",
    key: "models",
    help: "served model: [NAME=]SHARD_DIR (repeatable; env: comma-separated)",
    multiple: true,
  },
  {
    flag: "rpc-url",
    env: "TEETEE_RPC_URL",
    key: "rpcUrl",
    help: "JSON-RPC URL (default http://127.0.0.1:8545)",
  },
  {
    flag: "deployment",
    env: "TEETEE_DEPLOYMENT",
    key: "deployment",
    help: "deployment JSON file (default: the chain's)",
  },
  {
    flag: "port",
    env: "TEETEE_GATEWAY_PORT",
    key: "port",
    help: "listen port, 0 for any free one (default 8000)",
  },
  { flag: "host", env: "TEETEE_GATEWAY_HOST", key: "host", help: "listen address (default 127.0.0.1)" },
  {
    flag: "allow-dev-quotes",
    env: "TEETEE_ALLOW_DEV_QUOTES",
    key: "allowDevQuotes",
    help: "accept dev quotes (local chains only)",
    boolean: true,
  },
  {
    flag: "topology",
    env: "TEETEE_TOPOLOGY",
    key: "topology",
    help: "forward (runner to runner, default) or gateway",
  },
  {
    flag: "timeout-ms",
    env: "TEETEE_TIMEOUT_MS",
    key: "timeoutMs",
    help: "per-frame timeout before failover (default 30000)",
  },
  {
    flag: "max-failovers",
    env: "TEETEE_MAX_FAILOVERS",
    key: "maxFailovers",
    help: "routes tried after the first fails (default 3)",
  },
  {
    flag: "max-running-per-buyer",
    env: "TEETEE_MAX_RUNNING_PER_BUYER",
    key: "maxRunningPerBuyer",
    help: "a buyer's requests run at once; more wait (default 4, under a runner's 8)",
  },
  {
    flag: "max-waiting-per-buyer",
    env: "TEETEE_MAX_WAITING_PER_BUYER",
    key: "maxWaitingPerBuyer",
    help: "a buyer's requests waiting; more get 429 (default 64)",
  },
  {
    flag: "max-running-per-model",
    env: "TEETEE_MAX_RUNNING_PER_MODEL",
    key: "maxRunningPerModel",
    help: "requests run at once on one model, all buyers together; more wait (default 64)",
  },
  {
    flag: "max-waiting-per-model",
    env: "TEETEE_MAX_WAITING_PER_MODEL",
    key: "maxWaitingPerModel",
    help: "requests waiting for one model; more get 503 with Retry-After (default 256)",
  },
  {
    flag: "queue-wait-ms",
    env: "TEETEE_QUEUE_WAIT_MS",
    key: "queueWaitMs",
    help: "longest wait for a turn before 429 (default 30000)",
  },
  {
    flag: "discovery-poll-ms",
    env: "TEETEE_DISCOVERY_POLL_MS",
    key: "discoveryPollMs",
    help: "registry event polling (default 2000)",
  },
  {
    flag: "health-interval-ms",
    env: "TEETEE_HEALTH_INTERVAL_MS",
    key: "healthIntervalMs",
    help: "runner health checks (default 5000)",
  },
  {
    flag: "default-max-tokens",
    env: "TEETEE_DEFAULT_MAX_TOKENS",
    key: "defaultMaxTokens",
    help: "chat max_tokens when unset (default 256)",
  },
  {
    flag: "attestation-recheck-seconds",
    env: "TEETEE_ATTESTATION_RECHECK_SECONDS",
    key: "attestationRecheckSeconds",
    help: "re-verify attestations at least this often (default 300)",
  },
  {
    flag: "chain-cache-ms",
    env: "TEETEE_CHAIN_CACHE_MS",
    key: "chainCacheMs",
    help: "reuse API-key chain reads (default 2000)",
  },
  {
    flag: "receipts-max-entries",
    env: "TEETEE_RECEIPTS_MAX_ENTRIES",
    key: "receiptsMaxEntries",
    help: "answers whose receipts are kept for GET /v1/receipts/ID (default 2000)",
  },
  {
    flag: "receipts-max-age-seconds",
    env: "TEETEE_RECEIPTS_MAX_AGE_SECONDS",
    key: "receiptsMaxAgeSeconds",
    help: "how long an answer's receipts are kept (default 3600)",
  },
  ...serverLimitOptions({ streams: "streams", keepAliveDefaultMs: 5000 }),
  { flag: "ready-file", env: "TEETEE_READY_FILE", key: "readyFile", help: "write {url} here once listening" },
  { flag: "log-level", env: "TEETEE_LOG_LEVEL", key: "logLevel", help: "pino level (default info)" },
  {
    flag: "payment-escrow",
    env: "TEETEE_PAYMENT_ESCROW",
    key: "paymentEscrow",
    help: "PaymentEscrow address (overrides the deployment)",
  },
  {
    flag: "model-registry",
    env: "TEETEE_MODEL_REGISTRY",
    key: "modelRegistry",
    help: "ModelRegistry address (overrides the deployment)",
  },
  {
    flag: "runner-registry",
    env: "TEETEE_RUNNER_REGISTRY",
    key: "runnerRegistry",
    help: "RunnerRegistry address (overrides the deployment)",
  },
  {
    flag: "audit-rate",
    env: "TEETEE_AUDIT_RATE",
    key: "auditRate",
    help: "share of requests re-executed on replicas (default 0; needs TEETEE_AUDIT_KEY)",
  },
  {
    flag: "audit-dir",
    env: "TEETEE_AUDIT_DIR",
    key: "auditDir",
    help: "divergence evidence folder (default audits)",
  },
  { flag: "audit-seed", env: "TEETEE_AUDIT_SEED", key: "auditSeed", help: "seed of the audit sampler" },
  {
    flag: "audit-max-queued",
    env: "TEETEE_AUDIT_MAX_QUEUED",
    key: "auditMaxQueued",
    help: "sampled audits waiting; more are dropped (default 16)",
  },
  {
    flag: "audit-concurrency",
    env: "TEETEE_AUDIT_CONCURRENCY",
    key: "auditConcurrency",
    help: "audits running at once (default 1)",
  },
];

/** Secrets read from the environment only, never from flags (they would show in the process list). */
export const gatewaySecretOptions = [
  { env: "TEETEE_AUDIT_KEY", key: "auditKey" },
  { env: "TEETEE_SLASHER_KEY", key: "slasherKey" },
] as const;

export const gatewayUsage = `Usage: pnpm exec tsx packages/gateway/src/main.ts --model [NAME=]SHARD_DIR [options]

The TeeTee OpenAI-compatible gateway (base URL <url>/v1). API keys are tt_<buyer>_<session key> (see README).
Every flag can also be set by its environment variable (or in .env).

${gatewayOptions.map((o) => `  --${o.flag.padEnd(22)} ${o.env.padEnd(28)} ${o.help}`).join("\n")}
  --help`;

/** Reads flags over environment variables and validates the result. */
export function parseGatewayConfig(argv: readonly string[], env: NodeJS.ProcessEnv): GatewayConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      gatewayOptions.map((o) => [
        o.flag,
        { type: o.boolean ? ("boolean" as const) : ("string" as const), multiple: o.multiple === true },
      ]),
    ),
    strict: true,
  });
  const input: Record<string, unknown> = {};
  for (const option of gatewayOptions) {
    const fromEnv = env[option.env];
    const value = values[option.flag] ?? (option.multiple && fromEnv ? fromEnv.split(",") : fromEnv);
    if (value !== undefined && value !== "") input[option.key] = value;
  }
  for (const secret of gatewaySecretOptions) {
    const value = env[secret.env];
    if (value !== undefined && value !== "") input[secret.key] = value;
  }
  const parsed = gatewayConfigSchema.safeParse(input);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new GatewayStartupError("Invalid gateway configuration", {
      details: fields,
      hint: "Run with --help.",
    });
  }
  return parsed.data;
}
