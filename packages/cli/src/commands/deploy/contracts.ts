import { resolve } from "node:path";
import { deployTeeTee } from "@teetee/contracts/deploy";
import { deploymentsDir } from "@teetee/contracts/deployments";
import { defineChainAt } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { createPublicClient, createWalletClient, http, type PublicClient } from "viem";
import { optionsOf, outputOf, parseAddress, parseInteger } from "../../lib/command.js";
import { DEFAULT_RPC_URL } from "../../lib/context.js";
import { CliError, ExitCode, usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";
import { resolveAccount } from "../../lib/keys.js";
import { parseDuration } from "../../lib/units.js";

/** The RPC URL of a named network: `local` is Hardhat's default port; others come from TEETEE_RPC_URL_<NAME>. */
export function networkRpcUrl(io: CliIo, name: string, rpcUrl: string | undefined): string {
  if (rpcUrl !== undefined) return rpcUrl;
  if (name === "local" || name === "localhost" || name === "hardhat")
    return io.env["TEETEE_RPC_URL"] ?? DEFAULT_RPC_URL;
  const variable = `TEETEE_RPC_URL_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  const url = io.env[variable];
  if (url === undefined)
    throw usageError(`Unknown network "${name}".`, `Set ${variable} in .env, or pass --rpc-url.`);
  return url;
}

export function registerDeployContracts(parent: Command, io: CliIo): void {
  parent
    .command("contracts")
    .description(
      "Deploy the TeeTee contracts (and a test token on a local chain) and write the deployment file",
    )
    .option("--network <name>", "local, or a name whose RPC URL is in TEETEE_RPC_URL_<NAME>", "local")
    .option("--payment-token <address>", "the ERC-20 payment token (required off local chains)")
    .option("--treasury <address>", "receives fees and slashed stake (default: the deployer)")
    .option("--fee-bps <bps>", "protocol fee in basis points", "500")
    .option("--unbonding <duration>", "stake unbonding period", "7d")
    .option("--thaw <duration>", "escrow withdrawal and key revocation thaw period", "1d")
    .option("--out <dir>", "folder for <chainId>.json (default: packages/contracts/deployments)")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{
        network: string;
        paymentToken?: string;
        treasury?: string;
        feeBps: string;
        unbonding: string;
        thaw: string;
        out?: string;
      }>(command);
      const out = outputOf(io, command);
      const rpcUrl = networkRpcUrl(io, options.network, options.rpcUrl);
      const account = await resolveAccount(io, options);
      // One quick retry: a pooled keep-alive connection the node closed while this process was busy (an in-process
      // caller that just ran scrypt) fails at once with "other side closed", and a fresh one answers.
      const transport = http(rpcUrl, { retryCount: 1, retryDelay: 50 });
      const publicClient = createPublicClient({ transport }) as PublicClient;
      const chainId = await publicClient.getChainId().catch((cause: unknown) => {
        throw new CliError(`Cannot reach the chain at ${rpcUrl}.`, { exitCode: ExitCode.network, cause });
      });
      const chain = defineChainAt({ id: chainId, rpcUrl, name: options.network });
      const walletClient = createWalletClient({ account, chain, transport: http(rpcUrl) });
      const outDir = options.out === undefined ? deploymentsDir : resolve(io.cwd, options.out);
      const deployment = await deployTeeTee({
        walletClient,
        publicClient: createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient,
        paymentToken:
          options.paymentToken === undefined
            ? undefined
            : parseAddress(options.paymentToken, "payment token"),
        treasury: options.treasury === undefined ? undefined : parseAddress(options.treasury, "treasury"),
        protocolFeeBps: parseInteger(options.feeBps, "fee", 0, 10_000),
        unbondingPeriod: parseDuration(options.unbonding, "unbonding period"),
        thawPeriod: parseDuration(options.thaw, "thaw period"),
        outDir,
        log: (line) => out.note(line),
      });
      out.result({ ...deployment, file: resolve(outDir, `${chainId}.json`) }, [
        ["chain", chainId],
        ["payment token", deployment.token],
        ["ModelRegistry", deployment.modelRegistry],
        ["Staking", deployment.staking],
        ["RunnerRegistry", deployment.runnerRegistry],
        ["PaymentEscrow", deployment.paymentEscrow],
        ["treasury", deployment.treasury],
        ["written to", resolve(outDir, `${chainId}.json`)],
      ]);
    });
}
