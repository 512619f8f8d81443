import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployTeeTee } from "@teetee/contracts/deploy";
import type { Deployment } from "@teetee/contracts/deployments";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import { createPublicClient, createWalletClient, type Hex, http, type PublicClient } from "viem";
import { hardhat } from "viem/chains";
import { runCli } from "../src/runCli.js";

export type CliRun = { code: number; stdout: string; stderr: string };

/** Runs `teetee` in-process against `env`, capturing what it prints. */
export async function teetee(
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    cwd,
    untilStopped: () => Promise.resolve(),
  });
  return { code, stdout, stderr };
}

export function privateKeyOf(chain: LocalChain, index: number): Hex {
  return `0x${Buffer.from(chain.accounts(index).getHdKey().privateKey!).toString("hex")}`;
}

export type TestNetwork = {
  chain: LocalChain;
  dir: string;
  deployment: Deployment;
  deploymentFile: string;
  publicClient: PublicClient;
};

/** One real Hardhat chain per test file, with the contracts deployed into a temporary folder. */
export async function startTestNetwork(): Promise<TestNetwork> {
  const chain = await startLocalChain();
  const dir = mkdtempSync(join(tmpdir(), "teetee-cli-"));
  const transport = http(chain.rpcUrl);
  const publicClient = createPublicClient({ chain: hardhat, transport }) as PublicClient;
  const walletClient = createWalletClient({ chain: hardhat, account: chain.accounts(0), transport });
  const deployment = await deployTeeTee({
    walletClient,
    publicClient,
    outDir: dir,
    thawPeriod: 3600n,
    unbondingPeriod: 3600n,
    // deployTeeTee writes the file only when it has a log to report it to.
    log: () => {},
  });
  return { chain, dir, deployment, deploymentFile: join(dir, `${deployment.chainId}.json`), publicClient };
}

export function parseJson<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}
