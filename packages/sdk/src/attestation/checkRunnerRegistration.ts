import { type Address, type Hex, isAddressEqual, type PublicClient, recoverAddress } from "viem";
import { isLocalChainId } from "../contracts/chains/localChain.js";
import { getModel } from "../contracts/modelRegistry/getModel.js";
import { getShard } from "../contracts/modelRegistry/getShard.js";
import { isComposeHashAllowed } from "../contracts/modelRegistry/isComposeHashAllowed.js";
import { isOsImageAllowed } from "../contracts/modelRegistry/isOsImageAllowed.js";
import { hashAttestationRefresh } from "../contracts/runnerConsent/hashAttestationRefresh.js";
import { hashRunnerConsent } from "../contracts/runnerConsent/hashRunnerConsent.js";
import { getRunnerNonce } from "../contracts/runnerRegistry/getRunnerNonce.js";
import { getFreeStake } from "../contracts/staking/getFreeStake.js";
import type { TeeTeeContracts } from "../contracts/types.js";
import type { RunnerAttestationDocument } from "../protocol/runnerAttestationDocument.js";
import type { PrintedRunnerCall } from "../protocol/runnerRegistrationDocument.js";
import { quoteOsImage } from "./osImage.js";
import { verifyRunnerAttestation } from "./verifyRunnerAttestation.js";

/**
 * What a failed check means for whoever submits: `verification` (the runner is not what it claims, or its consent
 * does not match it), `config` (the consent is for someone else, or was never signed: fix the runner's start-up),
 * `revert` (the contract would refuse the call; `errorName` names its error).
 */
export type RegistrationRefusal = "verification" | "config" | "revert";

/** One line of the pre-registration check, in the order they run. */
export type RegistrationCheck = {
  /** `target`, `model`, `shard`, `weights`, `attestation:<id>`, `consent-*` or `free-stake`. */
  id: string;
  title: string;
  status: "pass" | "fail";
  detail: string;
  /** Set on a failure: what it means for the submitter. */
  refusal?: RegistrationRefusal;
  /** The contract error the call would revert with, where one would. */
  errorName?: string;
  /** What to do about a failure. */
  hint?: string;
  /** The free-stake check's figures, in token units: what the model locks and what the contributor has free. */
  amounts?: { needed: bigint; available: bigint };
};

export type CheckRunnerRegistrationParameters = {
  /** The chain the registration is for (its id, and the deployment's addresses). */
  chainId: number;
  contracts: TeeTeeContracts;
  /** The runner's published attestation (`fetchRunnerAttestation(url)`). */
  document: RunnerAttestationDocument;
  /** The call the runner signed (`/v1/registration`'s `printed` document), or `undefined` when it signed none. */
  call: PrintedRunnerCall | undefined;
  /** The account that will submit the call: the contributor whose stake backs the runner. */
  contributor: Address;
  /** Unix seconds; default now. */
  now?: bigint;
};

export type CheckRunnerRegistrationReturnType = {
  checks: RegistrationCheck[];
  /** Every check passed: submitting the call will not revert on anything checked here. */
  ok: boolean;
};

const pass = (id: string, title: string, detail: string): RegistrationCheck => ({
  id,
  title,
  status: "pass",
  detail,
});
const fail = (
  id: string,
  title: string,
  detail: string,
  refusal: RegistrationRefusal,
  extra: Pick<RegistrationCheck, "errorName" | "hint" | "amounts"> = {},
): RegistrationCheck => ({ id, title, status: "fail", detail, refusal, ...extra });

/**
 * Everything a contributor must know before submitting a runner's signed registration (or attestation refresh):
 * the runner attests for this chain and registry, the model exists and is active, the shard is in range and its
 * weights are the ones the runner loaded, every attestation check (quote, report data, compose hash and OS image
 * allowlists, TTL), the consent names exactly what the attestation proves, is for this registry and this
 * contributor, is signed by the runner key at its current nonce and still valid, and the contributor has the free
 * stake the model locks. `teetee runner register` and the web app's Register runner screen both run this, so they
 * refuse the same things. Checks that need an earlier one's answer are left out when it failed.
 * @example
 * const { checks, ok } = await checkRunnerRegistration(publicClient, { chainId, contracts, document, call, contributor });
 */
export async function checkRunnerRegistration(
  publicClient: PublicClient,
  parameters: CheckRunnerRegistrationParameters,
): Promise<CheckRunnerRegistrationReturnType> {
  const { chainId, contracts, document: doc, call, contributor } = parameters;
  const now = parameters.now ?? BigInt(Math.floor(Date.now() / 1000));
  const checks: RegistrationCheck[] = [];
  const done = () => ({ checks, ok: checks.every((c) => c.status === "pass") });

  checks.push(
    doc.chainId === chainId && isAddressEqual(doc.runnerRegistry, contracts.runnerRegistry)
      ? pass("target", "Runner attests for this chain and registry", `chain ${chainId}`)
      : fail(
          "target",
          "Runner attests for this chain and registry",
          `The runner attests for chain ${doc.chainId} registry ${doc.runnerRegistry}, not chain ${chainId} registry ${contracts.runnerRegistry}.`,
          "verification",
        ),
  );
  const target = { contracts, modelId: doc.modelId };
  const model = await getModel(publicClient, target).catch(() => undefined);
  if (model === undefined) {
    checks.push(
      fail("model", "Model is registered", `No model ${doc.modelId} on this chain.`, "revert", {
        errorName: "ModelNotFound",
      }),
    );
    return done();
  }
  checks.push(
    model.active
      ? pass("model", "Model is registered and active", doc.modelId)
      : fail("model", "Model is registered and active", `Model ${doc.modelId} is deactivated.`, "revert", {
          errorName: "RunnerModelInactive",
        }),
  );
  if (doc.shardIndex >= model.shardCount) {
    checks.push(
      fail(
        "shard",
        "Shard is one of the model's",
        `The runner serves shard ${doc.shardIndex}, but model ${doc.modelId} has ${model.shardCount} shards.`,
        "revert",
        { errorName: "RunnerInvalidShard" },
      ),
    );
    return done();
  }
  const shard = await getShard(publicClient, { ...target, shardIndex: BigInt(doc.shardIndex) });
  checks.push(
    shard.weightsHash.toLowerCase() === doc.weightsHash.toLowerCase()
      ? pass(
          "weights",
          `Weights match shard ${doc.shardIndex}`,
          `layers ${shard.firstLayer}–${shard.endLayer - 1}`,
        )
      : fail(
          "weights",
          `Weights match shard ${doc.shardIndex}`,
          `The runner loaded weights ${doc.weightsHash}, not the shard's ${shard.weightsHash}.`,
          "verification",
        ),
  );
  const verdict = await verifyRunnerAttestation({
    evidence: { quote: doc.quote, eventLog: doc.eventLog },
    registration: {
      chainId,
      registry: contracts.runnerRegistry,
      modelId: doc.modelId,
      shardIndex: doc.shardIndex,
      runner: doc.runner,
      weightsHash: shard.weightsHash,
      quoteHash: doc.quoteHash,
      attestedAt: now,
      attestationTtl: model.attestationTtl,
      allowedComposeHashes: (composeHash: Hex) =>
        isComposeHashAllowed(publicClient, { ...target, composeHash }),
      allowedOsImages: (osImage: Hex) => isOsImageAllowed(publicClient, { ...target, osImage }),
    },
    policy: { allowDevQuotes: isLocalChainId(chainId), now: () => Number(now) },
  });
  for (const c of verdict.checks) {
    if (c.status === "skip") continue;
    const id = `attestation:${c.id}`;
    checks.push(
      c.status === "pass" ? pass(id, c.title, c.detail) : fail(id, c.title, c.detail, "verification"),
    );
  }
  checks.push(...(await consentChecks(publicClient, parameters, now)));
  if (call?.functionName !== "refreshAttestation") {
    const free = await getFreeStake(publicClient, { contracts, staker: contributor });
    const amounts = { needed: model.minStake, available: free };
    checks.push(
      free >= model.minStake
        ? {
            ...pass(
              "free-stake",
              "Contributor has enough free stake",
              `${model.minStake} locked of ${free} free`,
            ),
            amounts,
          }
        : fail(
            "free-stake",
            "Contributor has enough free stake",
            `A runner of this model locks ${model.minStake}; ${contributor} has ${free} free.`,
            "revert",
            { errorName: "StakingInsufficientFreeStake", hint: "Stake more first.", amounts },
          ),
    );
  }
  return done();
}

/** The consent's fields against the attestation, its registry and contributor, its signature and deadline. */
async function consentChecks(
  publicClient: PublicClient,
  { chainId, contracts, document: doc, call, contributor }: CheckRunnerRegistrationParameters,
  now: bigint,
): Promise<RegistrationCheck[]> {
  const signed = "Runner key signed the consent";
  const unsigned =
    call === undefined ||
    (call.functionName === "registerRunner" &&
      (call.args.consent === undefined || call.args.contributor === undefined));
  if (call === undefined || unsigned) {
    return [
      fail(
        "consent-signature",
        signed,
        "The runner was started without --contributor, so it signed no consent.",
        "config",
        {
          hint: `Restart it with --contributor ${contributor} (your address).`,
        },
      ),
    ];
  }
  const checks: RegistrationCheck[] = [];
  const claimed =
    call.functionName === "registerRunner"
      ? call.args.registration
      : { ...call.args, modelId: doc.modelId, shardIndex: doc.shardIndex, publicKey: doc.publicKey };
  const matches = "Consent matches the attestation";
  const differs = (what: string) => fail("consent-matches", matches, what, "verification");
  if (!isAddressEqual(claimed.runner, doc.runner))
    checks.push(
      differs(`The consent is for runner ${claimed.runner}, but the runner attests as ${doc.runner}.`),
    );
  else if (
    claimed.modelId.toLowerCase() !== doc.modelId.toLowerCase() ||
    claimed.shardIndex !== doc.shardIndex
  )
    checks.push(differs("The consent names another model or shard than the runner's attestation."));
  else if (claimed.publicKey.toLowerCase() !== doc.publicKey.toLowerCase())
    checks.push(differs("The consent names another public key than the runner's attestation."));
  else if (claimed.quoteHash.toLowerCase() !== doc.quoteHash.toLowerCase())
    checks.push(differs("The consent names another quote than the one the runner publishes."));
  else if (
    doc.composeHash !== undefined &&
    claimed.composeHash.toLowerCase() !== doc.composeHash.toLowerCase()
  )
    checks.push(differs("The consent names another compose hash than the runner's TEE measures."));
  else if (claimed.osImage.toLowerCase() !== quoteOsImage(doc.quote))
    checks.push(differs("The consent names another OS image than the runner's quote measures."));
  else
    checks.push(
      pass("consent-matches", matches, "same runner, model, shard, key, quote, compose hash and OS image"),
    );

  checks.push(
    isAddressEqual(call.contract, contracts.runnerRegistry)
      ? pass("consent-registry", "Consent is for this registry", call.contract)
      : fail(
          "consent-registry",
          "Consent is for this registry",
          `The consent is for registry ${call.contract}, not ${contracts.runnerRegistry}.`,
          "verification",
        ),
  );
  const runner = claimed.runner;
  const nonce = await getRunnerNonce(publicClient, { contracts, runner });
  const common = { nonce, chainId, runnerRegistry: contracts.runnerRegistry };
  let digest: Hex;
  if (call.functionName === "registerRunner") {
    const named = call.args.contributor!;
    const title = "Consent is for your address";
    checks.push(
      isAddressEqual(named, contributor)
        ? pass("consent-contributor", title, contributor)
        : fail(
            "consent-contributor",
            title,
            `The runner's consent is for contributor ${named}, but this key is ${contributor}.`,
            "config",
            { hint: "Use that contributor's key, or restart the runner with --contributor <your address>." },
          ),
    );
    digest = hashRunnerConsent({ ...common, registration: call.args.registration, contributor: named });
  } else {
    const { quoteHash, composeHash, osImage, deadline } = call.args;
    digest = hashAttestationRefresh({ ...common, runner, quoteHash, composeHash, osImage, deadline });
  }
  const consent = call.functionName === "registerRunner" ? call.args.consent! : call.args.consent;
  const signer = await recoverAddress({ hash: digest, signature: consent }).catch(() => undefined);
  checks.push(
    signer !== undefined && isAddressEqual(signer, runner)
      ? pass("consent-signature", signed, `signed by runner ${runner} at nonce ${nonce}`)
      : fail(
          "consent-signature",
          signed,
          `The consent is not signed by the runner key ${runner} (or was used already).`,
          "verification",
        ),
  );
  const deadline =
    call.functionName === "registerRunner" ? call.args.registration.deadline : call.args.deadline;
  checks.push(
    deadline > now
      ? pass("consent-deadline", "Consent is still valid", `until ${deadline}`)
      : fail(
          "consent-deadline",
          "Consent is still valid",
          "The consent has expired; ask the runner again.",
          "revert",
          {
            errorName: "RunnerConsentExpired",
          },
        ),
  );
  return checks;
}
