import type { Address, Hex } from "viem";
import { getBlock, getChainId } from "viem/actions";
import { ContractRevertError } from "../contracts/errors.js";
import type { TeeTeeClient } from "../contracts/internal/contractCalls.js";
import { getModel } from "../contracts/modelRegistry/getModel.js";
import { getRunner } from "../contracts/runnerRegistry/getRunner.js";
import type { Runner, TeeTeeContracts } from "../contracts/types.js";
import type { TokenDecoder } from "../protocol/TextStream.js";
import { receiptErrors } from "./errors.js";
import { getRunnerPeriods, type RunnerPeriod } from "./getRunnerPeriods.js";
import { type ReceiptDomainParameters, recoverReceiptSigner, type SignedReceipt } from "./receipt.js";
import type { ReceiptBundle } from "./receiptBundle.js";
import {
  chainCheck,
  domainCheck,
  fail,
  issuedCheck,
  linksCheck,
  pass,
  type ReceiptCheck,
  receiptModelProblem,
  textCheck,
  tokenChecks,
} from "./receiptChecks.js";
import { findPeriodWithin, RECEIPT_CLOCK_SKEW_SECONDS } from "./receiptClock.js";

export type VerifyReceiptsParameters = {
  bundle: ReceiptBundle;
  /** The deployment the bundle must belong to: its ModelRegistry (shard count) and RunnerRegistry (the runners). */
  contracts: Pick<TeeTeeContracts, "modelRegistry" | "runnerRegistry">;
  /** The model's tokenizer, to check the text; without it that check is skipped. */
  tokenizer?: TokenDecoder;
  /** The request's stop sequences (the buyer's own: a bundle cannot vouch for what cut its text short). */
  stops?: readonly string[];
  /** First block to read the registry's events from (the deployment's `startBlock`); default 0. */
  fromBlock?: bigint;
  /**
   * The verifying moment, unix seconds: no receipt may be dated more than `RECEIPT_CLOCK_SKEW_SECONDS` after it.
   * Default: the latest block's timestamp.
   */
  now?: bigint;
};

export type VerifyReceiptsReturnType = {
  /** No check failed (skipped ones, such as the text without a tokenizer, do not count). */
  ok: boolean;
  checks: ReceiptCheck[];
  /** The address each receipt's signature recovers to, in bundle order; `undefined` where none does. */
  signers: (Address | undefined)[];
};

/**
 * Verifies a receipt bundle offline against the chain `publicClient` reads: the bundle is for this chain and
 * registry and a model it knows; the chain holds one receipt per shard in order, each linked to the one before;
 * none is dated more than `RECEIPT_CLOCK_SKEW_SECONDS` after the verifying moment; each is signed by a runner
 * registered for that model and shard and active when it signed, give or take that tolerance (the registry's events,
 * with their blocks' times, by the ReceiptSlasher's rule: see `findPeriodWithin`); shard 0 read the bundle's prompt and the last shard sampled its completion; and, with
 * the tokenizer, the completion decodes to the bundle's text by the gateway's own rules. Nothing is trusted from the
 * gateway that sent the bundle. Browser-safe.
 * @example
 * const { ok, checks } = await verifyReceipts(publicClient, { bundle: parseReceiptBundle(json), contracts, tokenizer });
 */
export async function verifyReceipts(
  client: TeeTeeClient,
  parameters: VerifyReceiptsParameters,
): Promise<VerifyReceiptsReturnType> {
  const { bundle, contracts, tokenizer, stops = [] } = parameters;
  const domain = { chainId: await getChainId(client), runnerRegistry: contracts.runnerRegistry };
  const [now, modelLine, signers] = await Promise.all([
    parameters.now ?? getBlock(client, { blockTag: "latest" }).then((block) => block.timestamp),
    modelCheck(client, bundle, contracts),
    Promise.all(bundle.receipts.map((signed) => signerOf(signed, domain))),
  ]);
  const runnerLines = await Promise.all(
    bundle.receipts.map((signed, i) => runnerChecks(client, parameters, signed, signers[i])),
  );
  const checks = [
    domainCheck(bundle, domain),
    modelLine.check,
    chainCheck(bundle, modelLine.shardCount),
    linksCheck(bundle, domain),
    ...bundle.receipts.map((signed) => issuedCheck(signed, now)),
    ...runnerLines.flat(),
    ...tokenChecks(bundle, modelLine.shardCount),
    textCheck(bundle, tokenizer, stops),
  ];
  return { ok: checks.every((c) => c.status !== "fail"), checks, signers };
}

/**
 * {@link verifyReceipts}, throwing the first failed check as its error: `ReceiptDomainError`, `ReceiptModelError`,
 * `ReceiptChainError` (`RouteReceiptsIncompleteError` for a chain cut short), `ReceiptLinkError`, `ReceiptFromTheFutureError`, `ReceiptSignerError`,
 * `ReceiptRunnerInactiveError`,
 * `ReceiptTokensError` or `ReceiptTextError`.
 * @example
 * await assertReceipts(publicClient, { bundle, contracts });
 */
export async function assertReceipts(
  client: TeeTeeClient,
  parameters: VerifyReceiptsParameters,
): Promise<VerifyReceiptsReturnType> {
  const result = await verifyReceipts(client, parameters);
  const failed = result.checks.find((c) => c.status === "fail");
  if (failed?.errorName !== undefined) {
    throw new receiptErrors[failed.errorName](failed.detail, {
      details: `check ${failed.id}: ${failed.title}`,
      ...(failed.missingShards === undefined ? {} : { missingShards: failed.missingShards }),
    });
  }
  return result;
}

async function modelCheck(
  client: TeeTeeClient,
  bundle: ReceiptBundle,
  contracts: Pick<TeeTeeContracts, "modelRegistry">,
): Promise<{ check: ReceiptCheck; shardCount: number | undefined }> {
  const title = "The model is registered and the receipts name it";
  const model = await getModel(client, { contracts, modelId: bundle.modelId }).catch(
    notFound("ModelNotFound"),
  );
  if (model === undefined) {
    const detail = `No model ${bundle.modelId} on this chain.`;
    return { check: fail("model", title, detail, "ReceiptModelError"), shardCount: undefined };
  }
  const problem = receiptModelProblem(bundle);
  return {
    check:
      problem === undefined
        ? pass("model", title, `${bundle.modelId}, ${model.shardCount} shards`)
        : fail("model", title, problem, "ReceiptModelError"),
    shardCount: model.shardCount,
  };
}

/** A revert with that custom error means "no such thing"; anything else (the RPC is down) is thrown on. */
function notFound(errorName: string) {
  return (error: unknown): undefined => {
    if (error instanceof ContractRevertError && error.revert.name === errorName) return undefined;
    throw error;
  };
}

async function signerOf(
  signed: SignedReceipt,
  domain: ReceiptDomainParameters,
): Promise<Address | undefined> {
  return recoverReceiptSigner(signed, domain).catch(() => undefined);
}

/** The `signer:<shard>` and `active:<shard>` lines of one receipt. */
async function runnerChecks(
  client: TeeTeeClient,
  { bundle, contracts, fromBlock }: VerifyReceiptsParameters,
  { receipt }: SignedReceipt,
  signer: Address | undefined,
): Promise<ReceiptCheck[]> {
  const shard = receipt.shardIndex;
  const signerTitle = `Shard ${shard}'s receipt is signed by a runner of that shard`;
  const activeTitle = `Shard ${shard}'s runner was active when it signed`;
  const signerFail = (detail: string) => [fail(`signer:${shard}`, signerTitle, detail, "ReceiptSignerError")];
  if (signer === undefined) return signerFail("The signature does not recover to any key.");
  const runner = await getRunner(client, { contracts, runner: signer }).catch(notFound("RunnerNotFound"));
  if (runner === undefined) return signerFail(`${signer} is not a registered runner.`);
  const periods = (await getRunnerPeriods(client, { contracts, runner: signer, fromBlock })).filter(
    (p) => p.modelId.toLowerCase() === bundle.modelId.toLowerCase() && p.shardIndex === shard,
  );
  if (periods.length === 0) return signerFail(`${signer} is ${registeredAs(runner)}, not of shard ${shard}.`);
  const at = receipt.issuedAt;
  const index = findPeriodWithin(periods, { modelId: bundle.modelId, shardIndex: shard, at });
  const during = index === undefined ? undefined : periods[index];
  return [
    pass(`signer:${shard}`, signerTitle, `runner ${signer}, contributor ${runner.contributor}`),
    during === undefined
      ? fail(
          `active:${shard}`,
          activeTitle,
          `It signed at ${time(at)}, outside its registrations (give or take ${RECEIPT_CLOCK_SKEW_SECONDS} s): ${periods.map(describePeriod).join("; ")}.`,
          "ReceiptRunnerInactiveError",
        )
      : pass(`active:${shard}`, activeTitle, `signed at ${time(at)}; ${describePeriod(during)}`),
  ];
}

function registeredAs(runner: Runner): string {
  return `a runner of shard ${runner.shardIndex} of model ${runner.modelId as Hex}`;
}

const time = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

function describePeriod(period: RunnerPeriod): string {
  const until = period.until === undefined ? "still active" : `deactivated ${time(period.until)}`;
  return `registered ${time(period.from)}, ${until}`;
}
