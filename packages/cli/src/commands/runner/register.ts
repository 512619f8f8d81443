import { checkRunnerRegistration, type RegistrationCheck } from "@teetee/sdk/attestation";
import { type RunnerRegistration, refreshAttestation, registerRunner } from "@teetee/sdk/contracts";
import {
  fetchRunnerAttestation,
  type PrintedRunnerCall as PrintedCall,
  parseRunnerRegistrationDocument,
  REGISTRATION_PATH,
  type RunnerAttestationDocument,
  type RunnerRegistrationDocument,
  RunnerRegistrationDocumentError,
  runnerUrl,
} from "@teetee/sdk/protocol";
import type { Command } from "commander";
import type { Address, Hex } from "viem";
import { optionsOf, outputOf, parseBytes32, parseInteger } from "../../lib/command.js";
import { connectWallet, type WalletContext } from "../../lib/context.js";
import { CliError, configError, ExitCode, usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";
import { formatAmount } from "../../lib/units.js";
import { verifyRunner } from "../verify.js";

type Outcome = RunnerRegistrationDocument;

const unreachable = (url: string, cause: unknown) =>
  new CliError(`Cannot reach the runner at ${url}.`, {
    exitCode: ExitCode.network,
    hint: "Is the runner running, and is the URL its public endpoint?",
    cause,
  });

async function fetchOutcome(url: string): Promise<Outcome> {
  const address = runnerUrl(url, REGISTRATION_PATH);
  const response = await fetch(address, { signal: AbortSignal.timeout(30_000) }).catch((cause: unknown) => {
    throw unreachable(url, cause);
  });
  if (!response.ok) {
    throw new CliError(`The runner at ${url} answered ${response.status} for ${REGISTRATION_PATH}.`, {
      exitCode: ExitCode.network,
      hint: "Is it a TeeTee runner, recent enough to publish its registration?",
    });
  }
  try {
    return parseRunnerRegistrationDocument(await response.json().catch(() => undefined));
  } catch (error) {
    if (!(error instanceof RunnerRegistrationDocumentError)) throw error;
    throw new CliError(`The runner at ${url} published a malformed registration.`, {
      exitCode: ExitCode.verification,
      hint: error.details,
      cause: error,
    });
  }
}

async function fetchDocument(url: string): Promise<RunnerAttestationDocument> {
  return fetchRunnerAttestation(url).catch((cause: unknown) => {
    throw unreachable(url, cause);
  });
}

const mismatch = (message: string) => new CliError(message, { exitCode: ExitCode.verification });

/** The CLI's answer to the first failed pre-registration check: its exit code, and the stake in token units. */
function refusalOf(check: RegistrationCheck, ctx: WalletContext, doc: RunnerAttestationDocument): CliError {
  if (check.id.startsWith("attestation:"))
    return mismatch(`The attestation of ${doc.runner} failed verification: not registering it.`);
  if (check.id === "free-stake" && check.amounts !== undefined) {
    const { decimals, symbol } = ctx.token;
    const { needed, available } = check.amounts;
    return new CliError(
      `Not enough free stake: a runner of this model locks ${formatAmount(needed, decimals, symbol)}, ${ctx.account.address} has ${formatAmount(available, decimals, symbol)} free.`,
      {
        exitCode: ExitCode.revert,
        errorName: check.errorName,
        hint: `Stake more first: teetee stake ${formatAmount(needed - available, decimals, "").trim()}`,
      },
    );
  }
  if (check.refusal === "config") return configError(check.detail, check.hint);
  if (check.refusal === "revert")
    return new CliError(check.detail, {
      exitCode: ExitCode.revert,
      errorName: check.errorName,
      hint: check.hint,
    });
  return mismatch(check.detail);
}

async function submit(ctx: WalletContext, call: PrintedCall) {
  const contracts = ctx.contracts;
  if (call.functionName === "registerRunner") {
    const registration: RunnerRegistration = call.args.registration;
    const consent = call.args.consent as Hex;
    return ctx.send("registerRunner", () =>
      registerRunner(ctx.walletClient, { contracts, registration, consent }),
    );
  }
  return ctx.send("refreshAttestation", () =>
    refreshAttestation(ctx.walletClient, { contracts, ...call.args }),
  );
}

type Expectation = { model?: string; shard?: string };

function checkExpectation(doc: RunnerAttestationDocument, expect: Expectation): void {
  if (expect.model !== undefined && parseBytes32(expect.model, "model id") !== doc.modelId.toLowerCase()) {
    throw usageError(`The runner serves model ${doc.modelId}, not ${expect.model}.`);
  }
  if (expect.shard !== undefined && parseInteger(expect.shard, "shard", 0, 0xffff) !== doc.shardIndex) {
    throw usageError(`The runner serves shard ${doc.shardIndex}, not shard ${expect.shard}.`);
  }
}

export type RunnerRegistrationResult = {
  runner: Address;
  action: Outcome["action"] | "submitted";
  functionName?: string;
  transaction?: Hex;
  verified: boolean;
};

/**
 * Registers (or refreshes) the runner at `url` for the wallet's contributor: fetches its signed consent, verifies
 * its attestation against the chain, checks the consent is for this account and signed by the runner key, then
 * submits it and verifies the on-chain record.
 */
export async function registerRunnerAt(
  ctx: WalletContext,
  url: string,
  expect: Expectation = {},
  note: (line: string) => void = () => {},
): Promise<RunnerRegistrationResult> {
  const [outcome, doc] = await Promise.all([fetchOutcome(url), fetchDocument(url)]);
  checkExpectation(doc, expect);
  if (outcome.action !== "printed") {
    const transaction = "transaction" in outcome ? outcome.transaction : undefined;
    const verified = (await verifyRunner(ctx, url)).ok;
    return { runner: doc.runner, action: outcome.action, transaction, verified };
  }
  const { checks } = await checkRunnerRegistration(ctx.publicClient, {
    chainId: ctx.chain.id,
    contracts: ctx.contracts,
    document: doc,
    call: outcome.call,
    contributor: ctx.account.address,
  });
  for (const check of checks) note(`${check.status === "fail" ? "✗" : "✓"} ${check.title}: ${check.detail}`);
  const failed = checks.find((check) => check.status === "fail");
  if (failed !== undefined) throw refusalOf(failed, ctx, doc);
  const receipt = await submit(ctx, outcome.call);
  const after = await verifyRunner(ctx, url);
  return {
    runner: doc.runner,
    action: "submitted",
    functionName: outcome.call.functionName,
    transaction: receipt.transactionHash,
    verified: after.ok,
  };
}

export function registerRunnerRegister(parent: Command, io: CliIo): void {
  parent
    .command("register")
    .description(
      "Contributors: register the runner at <runner-url> (started with --contributor <your address>) with your stake",
    )
    .argument("<runner-url>", "the runner's public endpoint, e.g. https://<app id>-8080.dstack.example")
    .option("--model <id>", "refuse unless the runner serves this model")
    .option("--shard <n>", "refuse unless the runner serves this shard")
    .action(async (url: string, _options: object, command: Command) => {
      const options = optionsOf<Expectation>(command);
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, options);
      const result = await registerRunnerAt(ctx, url, options, (line) => out.note(line));
      const done = {
        submitted: `${result.functionName} sent for ${ctx.account.address}`,
        registered: "the runner registered itself (it holds a contributor key)",
        refreshed: "the runner refreshed its attestation itself",
        unchanged: "already registered and attested: nothing to do",
        printed: "",
      }[result.action];
      out.result({ ...result, contributor: ctx.account.address, transactions: ctx.transactions }, [
        ["runner", result.runner],
        ["result", done],
        ["transaction", result.transaction ?? "none"],
        ["on-chain record", result.verified ? "VERIFIED (teetee verify passes)" : "NOT VERIFIED"],
      ]);
      if (!result.verified) {
        throw new CliError(`The runner ${result.runner} does not verify against the chain.`, {
          exitCode: ExitCode.verification,
        });
      }
    });
}
