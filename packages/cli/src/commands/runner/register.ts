import { quoteOsImage, verifyRunnerAttestation } from "@teetee/sdk/attestation";
import {
  getFreeStake,
  getModel,
  getRunnerNonce,
  getShard,
  hashAttestationRefresh,
  hashRunnerConsent,
  isComposeHashAllowed,
  isLocalChainId,
  isOsImageAllowed,
  type RunnerRegistration,
  refreshAttestation,
  registerRunner,
} from "@teetee/sdk/contracts";
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
import { type Address, type Hex, isAddressEqual, recoverAddress } from "viem";
import { optionsOf, outputOf, parseBytes32, parseInteger } from "../../lib/command.js";
import { type ChainContext, connectWallet, type WalletContext } from "../../lib/context.js";
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

/** The fields a runner's consent names must be the ones its attestation document proves. */
function checkAgainstDocument(call: PrintedCall, doc: RunnerAttestationDocument): void {
  const claimed =
    call.functionName === "registerRunner"
      ? call.args.registration
      : { ...call.args, modelId: doc.modelId, shardIndex: doc.shardIndex, publicKey: doc.publicKey };
  if (!isAddressEqual(claimed.runner, doc.runner))
    throw mismatch(`The consent is for runner ${claimed.runner}, but the runner attests as ${doc.runner}.`);
  if (claimed.modelId.toLowerCase() !== doc.modelId.toLowerCase() || claimed.shardIndex !== doc.shardIndex)
    throw mismatch("The consent names another model or shard than the runner's attestation.");
  if (claimed.publicKey.toLowerCase() !== doc.publicKey.toLowerCase())
    throw mismatch("The consent names another public key than the runner's attestation.");
  if (claimed.quoteHash.toLowerCase() !== doc.quoteHash.toLowerCase())
    throw mismatch("The consent names another quote than the one the runner publishes.");
  if (doc.composeHash !== undefined && claimed.composeHash.toLowerCase() !== doc.composeHash.toLowerCase())
    throw mismatch("The consent names another compose hash than the runner's TEE measures.");
  if (claimed.osImage.toLowerCase() !== quoteOsImage(doc.quote))
    throw mismatch("The consent names another OS image than the runner's quote measures.");
}

/**
 * Verifies the runner's quote as it will be recorded: every attestation check of `teetee verify`, with the quote
 * hash the consent registers and the model's on-chain weights hash, compose allowlist and TTL.
 */
async function verifyBeforeRegistering(ctx: ChainContext, doc: RunnerAttestationDocument) {
  const target = { contracts: ctx.contracts };
  if (doc.chainId !== ctx.chain.id || !isAddressEqual(doc.runnerRegistry, ctx.contracts.runnerRegistry)) {
    throw mismatch(
      `The runner attests for chain ${doc.chainId} registry ${doc.runnerRegistry}, not chain ${ctx.chain.id} registry ${ctx.contracts.runnerRegistry}.`,
    );
  }
  const model = await getModel(ctx.publicClient, { ...target, modelId: doc.modelId });
  if (doc.shardIndex >= model.shardCount) {
    throw new CliError(
      `The runner serves shard ${doc.shardIndex}, but model ${doc.modelId} has ${model.shardCount} shards.`,
      { exitCode: ExitCode.revert, errorName: "ModelShardOutOfRange" },
    );
  }
  const shard = await getShard(ctx.publicClient, {
    ...target,
    modelId: doc.modelId,
    shardIndex: BigInt(doc.shardIndex),
  });
  const verdict = await verifyRunnerAttestation({
    evidence: { quote: doc.quote, eventLog: doc.eventLog },
    registration: {
      chainId: ctx.chain.id,
      registry: ctx.contracts.runnerRegistry,
      modelId: doc.modelId,
      shardIndex: doc.shardIndex,
      runner: doc.runner,
      weightsHash: shard.weightsHash,
      quoteHash: doc.quoteHash,
      attestedAt: BigInt(Math.floor(Date.now() / 1000)),
      attestationTtl: model.attestationTtl,
      allowedComposeHashes: (composeHash: Hex) =>
        isComposeHashAllowed(ctx.publicClient, { ...target, modelId: doc.modelId, composeHash }),
      allowedOsImages: (osImage: Hex) =>
        isOsImageAllowed(ctx.publicClient, { ...target, modelId: doc.modelId, osImage }),
    },
    policy: { allowDevQuotes: isLocalChainId(ctx.chain.id) },
  });
  return { verdict, model };
}

async function checkConsentSigner(ctx: WalletContext, call: PrintedCall): Promise<void> {
  const target = { contracts: ctx.contracts };
  const runner = call.functionName === "registerRunner" ? call.args.registration.runner : call.args.runner;
  const nonce = await getRunnerNonce(ctx.publicClient, { ...target, runner });
  const common = { nonce, chainId: ctx.chain.id, runnerRegistry: ctx.contracts.runnerRegistry };
  let digest: Hex;
  let consent: Hex | undefined;
  if (call.functionName === "registerRunner") {
    const { registration, contributor } = call.args;
    consent = call.args.consent;
    if (consent === undefined || contributor === undefined) {
      throw configError(
        "The runner was started without --contributor, so it signed no consent.",
        `Restart it with --contributor ${ctx.account.address} (your address).`,
      );
    }
    if (!isAddressEqual(contributor, ctx.account.address)) {
      throw configError(
        `The runner's consent is for contributor ${contributor}, but this key is ${ctx.account.address}.`,
        "Use that contributor's key, or restart the runner with --contributor <your address>.",
      );
    }
    digest = hashRunnerConsent({ ...common, registration, contributor });
  } else {
    const { quoteHash, composeHash, osImage, deadline } = call.args;
    consent = call.args.consent;
    digest = hashAttestationRefresh({ ...common, runner, quoteHash, composeHash, osImage, deadline });
  }
  const signer = await recoverAddress({ hash: digest, signature: consent }).catch(() => undefined);
  if (signer === undefined || !isAddressEqual(signer, runner))
    throw mismatch(`The consent is not signed by the runner key ${runner}.`);
}

async function checkFreeStake(ctx: WalletContext, minStake: bigint): Promise<void> {
  const free = await getFreeStake(ctx.publicClient, {
    contracts: ctx.contracts,
    staker: ctx.account.address,
  });
  if (free < minStake) {
    const { decimals, symbol } = ctx.token;
    throw new CliError(
      `Not enough free stake: a runner of this model locks ${formatAmount(minStake, decimals, symbol)}, ${ctx.account.address} has ${formatAmount(free, decimals, symbol)} free.`,
      {
        exitCode: ExitCode.revert,
        errorName: "StakingInsufficientFreeStake",
        hint: `Stake more first: teetee stake ${formatAmount(minStake - free, decimals, "").trim()}`,
      },
    );
  }
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
  checkAgainstDocument(outcome.call, doc);
  if (!isAddressEqual(outcome.call.contract, ctx.contracts.runnerRegistry)) {
    throw mismatch(
      `The consent is for registry ${outcome.call.contract}, not ${ctx.contracts.runnerRegistry}.`,
    );
  }
  const { verdict, model } = await verifyBeforeRegistering(ctx, doc);
  for (const check of verdict.checks)
    note(`${check.status === "fail" ? "✗" : "✓"} ${check.title}: ${check.detail}`);
  if (!verdict.ok) {
    throw mismatch(`The attestation of ${doc.runner} failed verification: not registering it.`);
  }
  await checkConsentSigner(ctx, outcome.call);
  if (outcome.call.functionName === "registerRunner") await checkFreeStake(ctx, model.minStake);
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
