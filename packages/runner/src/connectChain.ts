import { getDeployment } from "@teetee/contracts/deployments";
import { defineChainAt, isLocalChainId, type TeeTeeContracts } from "@teetee/sdk/contracts";
import { type Address, createPublicClient, createWalletClient, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { RunnerConfig } from "./config.js";
import { RunnerStartupError } from "./errors.js";

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

/**
 * Reads the chain's id, resolves the contracts (flags first, then the chain's deployment) and builds the wallets
 * that sign registrations and redemptions; refuses the local-benchmark options anywhere but on a local chain.
 */
export async function connectChain(config: RunnerConfig) {
  const publicClient = createPublicClient({ transport: http(config.rpcUrl) }) as PublicClient;
  const chainId = await publicClient.getChainId().catch((cause: unknown) => {
    throw new RunnerStartupError(`Cannot reach the chain at ${config.rpcUrl}`, { cause });
  });
  const chain = defineChainAt({ id: chainId, rpcUrl: config.rpcUrl });
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
  const contracts = resolveContracts(config, chainId);
  refuseLocalOnlyOptions(config, chainId);
  return { publicClient, chainId, contributorWallet, settlerWallet, contracts };
}

export type ConnectedChain = Awaited<ReturnType<typeof connectChain>>;

function refuseLocalOnlyOptions(config: RunnerConfig, chainId: number): void {
  if (config.allowPlaintextFrames && !isLocalChainId(chainId)) {
    throw new RunnerStartupError(`Plaintext frames are refused on chain ${chainId}`, {
      hint: "They exist for local benchmarks only.",
    });
  }
  if (config.free && !isLocalChainId(chainId)) {
    throw new RunnerStartupError(`Serving without payment checks is refused on chain ${chainId}`, {
      hint: "--free exists for local benchmarks only.",
    });
  }
}
