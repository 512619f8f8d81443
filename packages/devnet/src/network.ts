import { join } from "node:path";
import { createDevTee, type DevTee } from "@teetee/dev-tee";
import { getRunner, type TeeTeeContracts } from "@teetee/sdk/contracts";
import { type Address, bytesToHex, type PublicClient } from "viem";
import { freePort, type LocalChain } from "./localChain.js";
import { GATEWAY_ENTRY, RUNNER_ENTRY, type Service, spawnService } from "./services.js";

export type DemoRunnerSpec = {
  /** Who runs it, e.g. `contributor-1`. */
  contributorName: string;
  /** The contributor's account index on the local chain. */
  accountIndex: number;
  shardIndex: number;
  /** A label for people: `runner-0`, `replica-0`. */
  name: string;
};

export type DemoRunner = Service & DemoRunnerSpec & { runner: Address; contributor: Address; tee: DevTee };

/** Where a service's output goes, and who hears when it dies on its own. */
export type ServiceReporting = { logDir?: string; onDeath?: (notice: string) => void };

function reportingOf(name: string, reporting: ServiceReporting) {
  return {
    ...(reporting.logDir === undefined ? {} : { logFile: join(reporting.logDir, `${name}.log`) }),
    ...(reporting.onDeath === undefined ? {} : { onDeath: reporting.onDeath }),
  };
}

async function attestedRunner(url: string): Promise<Address | undefined> {
  const response = await fetch(`${url}/v1/attestation`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) return undefined;
  return ((await response.json()) as { runner: Address }).runner;
}

/**
 * Starts one runner process with its own development TEE (its own instance id, so its own sealed key), exactly as
 * an operator runs one: the contributor's key in its environment registers it on-chain at start and settles its
 * vouchers. Resolves once the runner is registered and active.
 */
export async function startDemoRunner(params: {
  spec: DemoRunnerSpec;
  chain: LocalChain;
  client: PublicClient;
  contracts: TeeTeeContracts;
  shardDir: string;
  dataRoot: string;
  reporting?: ServiceReporting;
}): Promise<DemoRunner> {
  const { spec, chain, contracts } = params;
  const tee = await createDevTee({ appName: spec.name });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const account = chain.accounts(spec.accountIndex);
  let service: Service;
  try {
    service = await spawnService({
      name: spec.name,
      entry: RUNNER_ENTRY,
      url,
      ...reportingOf(spec.name, params.reporting ?? {}),
      args: [
        ...["--model-dir", params.shardDir, "--shard", String(spec.shardIndex), "--port", String(port)],
        ...["--rpc-url", chain.rpcUrl, "--runner-registry", contracts.runnerRegistry],
        ...["--model-registry", contracts.modelRegistry, "--data-dir", join(params.dataRoot, spec.name)],
        ...["--dstack-endpoint", tee.url, "--threads", "1"],
      ],
      env: {
        TEETEE_LOG_LEVEL: "warn",
        TEETEE_CONTRIBUTOR_KEY: bytesToHex(account.getHdKey().privateKey!),
        TEETEE_PAYMENT_ESCROW: contracts.paymentEscrow,
        // Redeem a channel's vouchers once it has been idle for a second: the demo settles right after its requests.
        TEETEE_SETTLE_POLL_MS: "500",
        TEETEE_SETTLE_IDLE_MS: "1000",
        TEETEE_SETTLE_THRESHOLD: String(10n ** 30n),
      },
      ready: async () => {
        const runner = await attestedRunner(url);
        if (runner === undefined) return false;
        const record = await getRunner(params.client, { contracts, runner }).catch(() => undefined);
        return record?.active === true;
      },
    });
  } catch (error) {
    await tee.close();
    throw error;
  }
  const runner = (await attestedRunner(url))!;
  const stop = service.stop;
  return {
    ...service,
    ...spec,
    runner,
    contributor: account.address,
    tee,
    stop: async () => {
      await stop();
      await tee.close();
    },
  };
}

/** Starts the gateway process for the model's shard folder; resolves once it lists the model with a full route. */
export async function startDemoGateway(params: {
  chain: LocalChain;
  deploymentFile: string;
  shardDir: string;
  modelName: string;
  port?: number;
  reporting?: ServiceReporting;
}): Promise<Service> {
  const port = params.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  return spawnService({
    name: "gateway",
    entry: GATEWAY_ENTRY,
    url,
    ...reportingOf("gateway", params.reporting ?? {}),
    args: [
      ...["--model", `${params.modelName}=${params.shardDir}`, "--rpc-url", params.chain.rpcUrl],
      ...["--deployment", params.deploymentFile, "--port", String(port)],
    ],
    env: {
      TEETEE_LOG_LEVEL: "warn",
      TEETEE_TIMEOUT_MS: "10000",
      TEETEE_HEALTH_INTERVAL_MS: "1000",
      TEETEE_DISCOVERY_POLL_MS: "500",
    },
    ready: async () => {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      await response.body?.cancel();
      return response.ok;
    },
  });
}
