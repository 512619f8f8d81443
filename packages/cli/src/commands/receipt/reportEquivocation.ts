import { receiptSlasherAbi, runnerRegistryAbi } from "@teetee/contracts/abi";
import {
  getEquivocationSlashAmount,
  isEquivocationEvidenceUsed,
  reportEquivocation,
} from "@teetee/sdk/contracts";
import {
  type Equivocation,
  findEquivocations,
  RECEIPT_CLOCK_SKEW_SECONDS,
  type SignedReceipt,
} from "@teetee/sdk/receipts";
import type { Command } from "commander";
import { type Address, getAddress, parseEventLogs } from "viem";
import { optionsOf, outputOf } from "../../lib/command.js";
import { type ChainContext, connect, connectWallet } from "../../lib/context.js";
import { usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";
import { formatAmount } from "../../lib/units.js";
import { readReceiptBundle } from "./receiptFiles.js";

type ReportOptions = { dryRun?: boolean };

/**
 * `teetee receipt report-equivocation A B`: finds, across two receipt files, a runner key that signed two outputs
 * for the same work (the ReceiptSlasher's rule, `findEquivocations`), checks offline and against the chain
 * everything the contract will (signer registered for that shard when it signed, within the receipts' clock
 * tolerance; evidence unused; something to slash), then reports it, or with `--dry-run` only says what it would.
 */
export function registerReceiptReportEquivocation(parent: Command, io: CliIo): void {
  parent
    .command("report-equivocation")
    .description(
      "Anyone: slash a runner that signed two different outputs for the same work, from two receipt files (the reporter earns the contract's share)",
    )
    .argument("<first>", "a receipt bundle, or a gateway answer carrying one in teetee.receipts")
    .argument("<second>", "another, holding the same runner's receipt for the same work with another output")
    .option("--dry-run", "check and print what would be reported, send nothing")
    .action(async (first: string, second: string, _options: object, command: Command) => {
      const options = optionsOf<ReportOptions>(command);
      const out = outputOf(io, command);
      const bundles = [readReceiptBundle(io, first), readReceiptBundle(io, second)];
      const ctx = await connect(io, options);
      const domain = { chainId: ctx.chain.id, runnerRegistry: ctx.contracts.runnerRegistry };
      for (const [file, bundle] of [first, second].map((f, i) => [f, bundles[i]!] as const)) {
        if (
          bundle.chainId !== domain.chainId ||
          getAddress(bundle.runnerRegistry) !== getAddress(domain.runnerRegistry)
        )
          throw usageError(
            `${file} holds receipts of chain ${bundle.chainId}'s registry ${bundle.runnerRegistry}, not this deployment's (chain ${domain.chainId}, ${domain.runnerRegistry}).`,
            "Point --rpc-url and --deployment at the network the answer came from.",
          );
      }
      const found = await findEquivocations({ receipts: bundles.flatMap((b) => b.receipts), ...domain });
      if (found.length === 0) {
        throw usageError(
          `No equivocation in ${first} and ${second}: no runner key signed two different outputs for the same model, shard, session, positions, parameters and input.`,
        );
      }
      const equivocation = found[0]!;
      await assertSlashable(ctx, equivocation);
      const slashAmount = await getEquivocationSlashAmount(ctx.publicClient, {
        contracts: ctx.contracts,
        runner: equivocation.runner,
      });
      if (slashAmount === 0n)
        throw usageError(`Runner ${equivocation.runner} has no stake locked: there is nothing to slash.`);
      const shareBps = await ctx.publicClient.readContract({
        address: slasherOf(ctx),
        abi: receiptSlasherAbi,
        functionName: "reporterShareBps",
      });
      const { receipt } = equivocation.first;
      const money = (value: bigint) => formatAmount(value, ctx.token.decimals, ctx.token.symbol);
      const found_ = {
        runner: equivocation.runner,
        modelId: receipt.modelId,
        shardIndex: receipt.shardIndex,
        sessionId: receipt.sessionId,
        evidenceHash: equivocation.evidenceHash,
        digests: equivocation.digests,
      };
      const facts: [string, unknown][] = [
        ["runner", equivocation.runner],
        ["model", receipt.modelId],
        ["shard", receipt.shardIndex],
        ["session", receipt.sessionId],
        ["positions", `${receipt.positionStart}..${receipt.positionStart + receipt.positionCount - 1}`],
        ["evidence", equivocation.evidenceHash],
      ];
      if (options.dryRun === true) {
        out.result({ ...found_, dryRun: true, slashAmount, reporterShareBps: shareBps }, [
          ...facts,
          ["would slash", money(slashAmount)],
          ["reporter share", `${Number(shareBps) / 100} %`],
          ["sent", "nothing (--dry-run)"],
        ]);
        return;
      }
      const wallet = await connectWallet(io, options);
      const sent = await wallet.send("reportEquivocation", () =>
        reportEquivocation(wallet.walletClient, {
          contracts: wallet.contracts,
          first: equivocation.first,
          second: equivocation.second,
        }),
      );
      const [event] = parseEventLogs({
        abi: receiptSlasherAbi,
        eventName: "EquivocationSlashed",
        logs: sent.logs,
      });
      const { slashed = 0n, reward = 0n } = event?.args ?? {};
      out.result({ ...found_, slashed, reward, transaction: sent.transactionHash }, [
        ...facts,
        ["slashed", money(slashed)],
        ["your reward", money(reward)],
        ["transaction", sent.transactionHash],
      ]);
    });
}

function slasherOf(ctx: ChainContext): Address {
  const address = ctx.contracts.receiptSlasher;
  if (address === undefined)
    throw usageError(
      "This deployment names no ReceiptSlasher.",
      "Redeploy, or use a deployment file that has one.",
    );
  return address;
}

/** What the contract would refuse, named before any transaction: each receipt signed inside a registration of the
 * signer for its shard (within the clock tolerance), and evidence not used before. */
async function assertSlashable(
  ctx: ChainContext,
  { runner, first, second, digests }: Equivocation,
): Promise<void> {
  for (const signed of [first, second] as SignedReceipt[]) {
    const { modelId, shardIndex, issuedAt } = signed.receipt;
    const [registered] = await ctx.publicClient.readContract({
      address: ctx.contracts.runnerRegistry,
      abi: runnerRegistryAbi,
      functionName: "findRegistrationPeriodWithin",
      args: [runner, modelId, shardIndex, issuedAt, RECEIPT_CLOCK_SKEW_SECONDS],
    });
    if (!registered) {
      throw usageError(
        `The signer ${runner} was not a runner registered for model ${modelId} shard ${shardIndex} when its receipt is dated (${issuedAt}): the contract would refuse the report.`,
      );
    }
  }
  slasherOf(ctx);
  if (await isEquivocationEvidenceUsed(ctx.publicClient, { contracts: ctx.contracts, digests }))
    throw usageError("This equivocation was already reported: the evidence has been used to slash.");
}
