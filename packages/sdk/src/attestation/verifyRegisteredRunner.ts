import { type Hex, isAddressEqual, type PublicClient } from "viem";
import { isLocalChainId } from "../contracts/chains/localChain.js";
import { getModel } from "../contracts/modelRegistry/getModel.js";
import { getShard } from "../contracts/modelRegistry/getShard.js";
import { isComposeHashAllowed } from "../contracts/modelRegistry/isComposeHashAllowed.js";
import { isOsImageAllowed } from "../contracts/modelRegistry/isOsImageAllowed.js";
import { getRunner } from "../contracts/runnerRegistry/getRunner.js";
import type { TeeTeeContracts } from "../contracts/types.js";
import type { RunnerAttestationDocument } from "../protocol/runnerAttestationDocument.js";
import { verifyRunnerAttestation } from "./verifyRunnerAttestation.js";

/** One line of a runner's verification: the on-chain registration first, then each attestation check. */
export type RunnerVerificationCheck = {
  id: string;
  title: string;
  status: "pass" | "fail" | "skip";
  detail: string;
};

export type VerifyRegisteredRunnerParameters = {
  /** The chain the runner must be registered on (its id, and the deployment's addresses). */
  chainId: number;
  contracts: TeeTeeContracts;
  /** The runner's published attestation (`fetchRunnerAttestation(url)`). */
  document: RunnerAttestationDocument;
};

/**
 * Verifies a runner's published attestation against its on-chain record (registered, active, the shard and key it
 * claims) and its model's compose and OS image allowlists and TTL, as `teetee verify` and the local network do.
 * Dev quotes pass only on local chains.
 */
export async function verifyRegisteredRunner(
  publicClient: PublicClient,
  { chainId, contracts, document: doc }: VerifyRegisteredRunnerParameters,
) {
  const target = { contracts };
  const registryCheck: RunnerVerificationCheck = {
    id: "registration",
    title: "Runner is registered and active on this chain",
    status: "pass",
    detail: "",
  };
  const runner = await getRunner(publicClient, { ...target, runner: doc.runner }).catch(() => undefined);
  const sameChain = doc.chainId === chainId && isAddressEqual(doc.runnerRegistry, contracts.runnerRegistry);
  if (!sameChain) {
    registryCheck.status = "fail";
    registryCheck.detail = `the runner attests for chain ${doc.chainId} registry ${doc.runnerRegistry}`;
  } else if (runner === undefined) {
    registryCheck.status = "fail";
    registryCheck.detail = `${doc.runner} is not registered`;
  } else if (!runner.active) {
    registryCheck.status = "fail";
    registryCheck.detail = `${doc.runner} is deactivated`;
  } else if (runner.modelId !== doc.modelId || runner.shardIndex !== doc.shardIndex) {
    registryCheck.status = "fail";
    registryCheck.detail = `registered for shard ${runner.shardIndex} of ${runner.modelId}, claims shard ${doc.shardIndex} of ${doc.modelId}`;
  } else if (runner.publicKey.toLowerCase() !== doc.publicKey.toLowerCase()) {
    registryCheck.status = "fail";
    registryCheck.detail = "the published public key differs from the registered one";
  } else {
    registryCheck.detail = `shard ${runner.shardIndex} of ${runner.modelId}, contributor ${runner.contributor}`;
  }
  if (runner === undefined || registryCheck.status === "fail") {
    return { ok: false, runner: doc.runner, kind: "unknown", checks: [registryCheck], expiresAt: undefined };
  }
  const modelId = runner.modelId as Hex;
  const [model, shard] = await Promise.all([
    getModel(publicClient, { ...target, modelId }),
    getShard(publicClient, { ...target, modelId, shardIndex: BigInt(runner.shardIndex) }),
  ]);
  const verdict = await verifyRunnerAttestation({
    evidence: { quote: doc.quote, eventLog: doc.eventLog },
    registration: {
      chainId: chainId,
      registry: contracts.runnerRegistry,
      modelId,
      shardIndex: runner.shardIndex,
      runner: doc.runner,
      weightsHash: shard.weightsHash,
      quoteHash: runner.quoteHash,
      attestedAt: runner.attestedAt,
      attestationTtl: model.attestationTtl,
      allowedComposeHashes: (composeHash: Hex) =>
        isComposeHashAllowed(publicClient, { ...target, modelId, composeHash }),
      allowedOsImages: (osImage: Hex) => isOsImageAllowed(publicClient, { ...target, modelId, osImage }),
    },
    policy: { allowDevQuotes: isLocalChainId(chainId) },
  });
  const checks: RunnerVerificationCheck[] = [
    registryCheck,
    ...verdict.checks.map(({ id, title, status, detail }) => ({ id, title, status, detail })),
  ];
  return {
    ok: verdict.ok,
    runner: doc.runner,
    kind: verdict.kind,
    checks,
    composeHash: verdict.composeHash,
    osImage: verdict.osImage,
    quoteHash: verdict.quoteHash,
    expiresAt: verdict.expiresAt,
  };
}
