import { TeeTeeError } from "@teetee/errors";
import { defineChainAt, localChain, type TeeTeeContracts } from "@teetee/sdk/contracts";
import { type Address, type Chain, getAddress, isAddress } from "viem";

/** What the server tells the app at run time (`config.json`): the chain, its contracts, the gateway. */
export type AppConfig = {
  chainId: number;
  chainName: string;
  rpcUrl: string;
  contracts: TeeTeeContracts;
  /** First block to scan for events. */
  startBlock: bigint;
  /** Base URL of an OpenAI-compatible TeeTee gateway as the browser reaches it, or null when none runs. */
  gatewayUrl: string | null;
  /** The same gateway as an OpenAI client outside the browser reaches it (for the key snippet). */
  publicGatewayUrl: string | null;
  /** Where the app fetches runner documents (`<proxy>?endpoint=…&path=…`); null fetches runners directly. */
  runnerProxy: string | null;
};

export class ConfigError extends TeeTeeError {
  override name = "ConfigError" as const;
}

function address(record: Record<string, unknown>, key: string): Address {
  const value = record[key];
  if (typeof value !== "string" || !isAddress(value, { strict: false })) {
    throw new ConfigError(`config.json: deployment.${key} must be an address`);
  }
  return getAddress(value);
}

function optionalString(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** Checks the parsed `config.json`. */
export function parseAppConfig(value: unknown): AppConfig {
  if (typeof value !== "object" || value === null) throw new ConfigError("config.json is not an object");
  const record = value as Record<string, unknown>;
  const deployment = record["deployment"];
  if (typeof deployment !== "object" || deployment === null)
    throw new ConfigError("config.json: no deployment");
  const d = deployment as Record<string, unknown>;
  const chainId = d["chainId"];
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new ConfigError("config.json: deployment.chainId must be a positive integer");
  }
  const rpcUrl = optionalString(record["rpcUrl"]);
  if (rpcUrl === null) throw new ConfigError("config.json: rpcUrl is missing");
  return {
    chainId,
    chainName:
      optionalString(record["chainName"]) ??
      (chainId === localChain.id ? localChain.name : `Chain ${chainId}`),
    rpcUrl,
    contracts: {
      token: address(d, "token"),
      modelRegistry: address(d, "modelRegistry"),
      staking: address(d, "staking"),
      runnerRegistry: address(d, "runnerRegistry"),
      paymentEscrow: address(d, "paymentEscrow"),
    },
    startBlock: BigInt(typeof d["startBlock"] === "number" ? d["startBlock"] : 0),
    gatewayUrl: optionalString(record["gatewayUrl"]),
    publicGatewayUrl: optionalString(record["publicGatewayUrl"]) ?? optionalString(record["gatewayUrl"]),
    runnerProxy: optionalString(record["runnerProxy"]),
  };
}

export async function loadAppConfig(url = "./config.json"): Promise<AppConfig> {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new ConfigError(`Could not load ${url} (HTTP ${response.status})`);
  return parseAppConfig(await response.json());
}

/** The viem chain the app expects the wallet to be on. */
export function chainOf(config: AppConfig): Chain {
  return defineChainAt({ id: config.chainId, rpcUrl: config.rpcUrl, name: config.chainName });
}
