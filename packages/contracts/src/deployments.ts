import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TeeTeeError } from "@teetee/errors";
import { type Address, getAddress, isAddress } from "viem";

/** Addresses of one TeeTee deployment, as `deployTeeTee` (`./deploy.ts`) writes them. */
export interface Deployment {
  chainId: number;
  /** The payment token (TestToken on local chains, a stablecoin elsewhere). */
  token: Address;
  modelRegistry: Address;
  staking: Address;
  runnerRegistry: Address;
  paymentEscrow: Address;
  /** Slashes runners on equivocation evidence, for anyone (holds Staking's SLASHER_ROLE). */
  receiptSlasher: Address;
  /** Receives protocol fees and slashed stake. */
  treasury: Address;
  /** First block to scan for events. */
  startBlock: number;
}

const addressKeys = [
  "token",
  "modelRegistry",
  "staking",
  "runnerRegistry",
  "paymentEscrow",
  "receiptSlasher",
  "treasury",
] as const;

/** Folder holding `<chainId>.json`, one per deployed chain. */
export const deploymentsDir: string = fileURLToPath(new URL("../deployments/", import.meta.url));

/** Thrown when no deployment file exists for a chain, or when one is malformed. */
export class DeploymentError extends TeeTeeError {
  override name = "DeploymentError" as const;
}

/** Checks a parsed deployment file and returns it with checksummed addresses. */
export function parseDeployment(value: unknown, source = "deployment"): Deployment {
  if (typeof value !== "object" || value === null) throw new DeploymentError(`${source} is not an object`);
  const record = value as Record<string, unknown>;
  const { chainId, startBlock } = record;
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new DeploymentError(`${source}: chainId must be a positive integer`);
  }
  if (typeof startBlock !== "number" || !Number.isSafeInteger(startBlock) || startBlock < 0) {
    throw new DeploymentError(`${source}: startBlock must be a non-negative integer`);
  }
  const addresses = {} as Record<(typeof addressKeys)[number], Address>;
  for (const key of addressKeys) {
    const address = record[key];
    if (typeof address !== "string" || !isAddress(address, { strict: false })) {
      throw new DeploymentError(`${source}: ${key} must be an address`);
    }
    addresses[key] = getAddress(address);
  }
  return { chainId, startBlock, ...addresses };
}

/** Every deployment found in `deploymentsDir`, by chain id. */
export function readDeployments(dir: string = deploymentsDir): Record<number, Deployment> {
  if (!existsSync(dir)) return {};
  const result: Record<number, Deployment> = {};
  for (const file of readdirSync(dir)) {
    if (!/^\d+\.json$/.test(file)) continue;
    const deployment = parseDeployment(JSON.parse(readFileSync(`${dir}/${file}`, "utf8")), file);
    result[deployment.chainId] = deployment;
  }
  return result;
}

/**
 * The deployment on `chainId`.
 * @throws DeploymentError when the chain has no deployment file (deploy first: `teetee deploy contracts`).
 * @example getDeployment(31337).paymentEscrow
 */
export function getDeployment(chainId: number, dir: string = deploymentsDir): Deployment {
  const file = `${dir}/${chainId}.json`;
  if (!existsSync(file)) {
    throw new DeploymentError(
      `No TeeTee deployment for chain ${chainId} (looked for ${file}). Deploy with \`teetee deploy contracts\` or pass the addresses explicitly.`,
    );
  }
  const deployment = parseDeployment(JSON.parse(readFileSync(file, "utf8")), file);
  if (deployment.chainId !== chainId) {
    throw new DeploymentError(`${file} describes chain ${deployment.chainId}, not ${chainId}`);
  }
  return deployment;
}
