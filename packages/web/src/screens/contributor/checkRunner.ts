import { quoteOsImage, verifyRunnerAttestation } from "@teetee/sdk/attestation";
import {
  getModel,
  getRunnerNonce,
  getShard,
  hashRunnerConsent,
  isComposeHashAllowed,
  isOsImageAllowed,
} from "@teetee/sdk/contracts";
import { parseRunnerAttestationDocument, type RunnerAttestationDocument } from "@teetee/sdk/protocol";
import { type Address, isAddressEqual, type PublicClient, recoverAddress } from "viem";
import { formatToken, type TokenInfo } from "../../chain/format.js";
import { runnerUrl } from "../../chain/runnerHttp.js";
import type { AppConfig } from "../../config/appConfig.js";
import type { RunnerConsent } from "./runnerConsent.js";

export type Check = { title: string; status: "pass" | "fail" | "skip"; detail: string };

export type RunnerReport = {
  document: RunnerAttestationDocument | undefined;
  checks: Check[];
  ok: boolean;
};

const pass = (title: string, detail: string): Check => ({ title, status: "pass", detail });
const fail = (title: string, detail: string): Check => ({ title, status: "fail", detail });

export async function fetchAttestation(
  config: AppConfig,
  endpoint: string,
): Promise<RunnerAttestationDocument> {
  const response = await fetch(runnerUrl(config, endpoint, "/v1/attestation"), {
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`The runner answered HTTP ${response.status} for its attestation.`);
  return parseRunnerAttestationDocument(await response.json());
}

/**
 * Fetches the registration the runner key signed for the contributor its operator configured (`--contributor`);
 * the consent checks below then make sure it names the connected account.
 */
export async function fetchConsent(config: AppConfig, endpoint: string): Promise<unknown> {
  const response = await fetch(runnerUrl(config, endpoint, "/v1/registration"), {
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok)
    throw new Error(`The runner answered HTTP ${response.status} when asked for its consent.`);
  return response.json();
}

type Inputs = {
  config: AppConfig;
  publicClient: PublicClient;
  token: TokenInfo;
  contributor: Address;
  freeStake: bigint;
  document: RunnerAttestationDocument;
  consent: RunnerConsent | undefined;
  now: number;
};

async function chainChecks(input: Inputs): Promise<Check[]> {
  const { config, publicClient, document: doc, token } = input;
  const contracts = config.contracts;
  const checks: Check[] = [];
  const model = await getModel(publicClient, { contracts, modelId: doc.modelId }).catch(() => undefined);
  if (model === undefined) return [fail("Model is registered", `No model ${doc.modelId} on this chain.`)];
  checks.push(
    model.active
      ? pass("Model is registered and active", doc.modelId)
      : fail("Model is active", "The model is deactivated."),
  );
  const shard = await getShard(publicClient, {
    contracts,
    modelId: doc.modelId,
    shardIndex: BigInt(doc.shardIndex),
  });
  checks.push(
    shard.weightsHash.toLowerCase() === doc.weightsHash.toLowerCase()
      ? pass(`Weights match shard ${doc.shardIndex}`, `layers ${shard.firstLayer}–${shard.endLayer - 1}`)
      : fail(`Weights match shard ${doc.shardIndex}`, "The runner loaded weights other than the shard's."),
  );
  checks.push(
    input.freeStake >= model.minStake
      ? pass("You have enough free stake", `${formatToken(model.minStake, token)} will be locked`)
      : fail(
          "You have enough free stake",
          `This model locks ${formatToken(model.minStake, token)} per runner; you have ${formatToken(input.freeStake, token)} free. Stake more first.`,
        ),
  );
  const verdict = await verifyRunnerAttestation({
    evidence: { quote: doc.quote, eventLog: doc.eventLog },
    registration: {
      chainId: config.chainId,
      registry: contracts.runnerRegistry,
      modelId: doc.modelId,
      shardIndex: doc.shardIndex,
      runner: doc.runner,
      weightsHash: shard.weightsHash,
      quoteHash: doc.quoteHash,
      attestedAt: input.now,
      attestationTtl: model.attestationTtl,
      allowedComposeHashes: (composeHash) =>
        isComposeHashAllowed(publicClient, { contracts, modelId: doc.modelId, composeHash }),
      allowedOsImages: (osImage) =>
        isOsImageAllowed(publicClient, { contracts, modelId: doc.modelId, osImage }),
    },
    policy: { allowDevQuotes: config.chainId === 31337, now: () => input.now },
  });
  for (const c of verdict.checks) checks.push({ title: c.title, status: c.status, detail: c.detail });
  return checks;
}

async function consentChecks(input: Inputs): Promise<Check[]> {
  const { config, publicClient, document: doc, consent, contributor } = input;
  const title = "Runner key consents to your registration";
  if (consent === undefined) return [fail(title, "No consent yet: the runner did not provide one.")];
  const r = consent.registration;
  const same =
    isAddressEqual(r.runner, doc.runner) &&
    r.modelId.toLowerCase() === doc.modelId.toLowerCase() &&
    r.shardIndex === doc.shardIndex &&
    r.publicKey.toLowerCase() === doc.publicKey.toLowerCase() &&
    r.quoteHash.toLowerCase() === doc.quoteHash.toLowerCase() &&
    r.osImage.toLowerCase() === quoteOsImage(doc.quote);
  const checks = [
    same
      ? pass("Consent matches the attestation", "same runner, model, shard, key, quote and OS image")
      : fail(
          "Consent matches the attestation",
          "The consent names another runner, shard, quote or OS image.",
        ),
  ];
  const nonce = await getRunnerNonce(publicClient, { contracts: config.contracts, runner: r.runner });
  const digest = hashRunnerConsent({
    registration: r,
    contributor,
    nonce,
    chainId: config.chainId,
    runnerRegistry: config.contracts.runnerRegistry,
  });
  const signer = await recoverAddress({ hash: digest, signature: consent.consent }).catch(() => undefined);
  checks.push(
    signer !== undefined && isAddressEqual(signer, doc.runner)
      ? pass(title, `signed by runner ${doc.runner}`)
      : fail(title, "The signature is not the runner key's consent for your address (or was used already)."),
  );
  if (Number(r.deadline) <= input.now)
    checks.push(fail("Consent is still valid", "The consent has expired; ask again."));
  return checks;
}

/** Every check a contributor sees before registering a runner: chain facts, the attestation, the consent. */
export async function checkRunner(input: Inputs): Promise<RunnerReport> {
  const checks = [
    pass(
      "Runner published its attestation",
      `runner ${input.document.runner}, shard ${input.document.shardIndex}`,
    ),
    ...(await chainChecks(input)),
    ...(await consentChecks(input)),
  ];
  return { document: input.document, checks, ok: checks.every((c) => c.status === "pass") };
}
