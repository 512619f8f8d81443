import { describe } from "@teetee/errors";
import { type Address, concat, type Hex, isAddressEqual } from "viem";
import { assertRunnerAttestation } from "../attestation/assertRunnerAttestation.js";
import type { AttestationPolicy } from "../attestation/attestationPolicy.js";
import type { TeeTeeClient } from "../contracts/internal/contractCalls.js";
import { getModel } from "../contracts/modelRegistry/getModel.js";
import { getShard } from "../contracts/modelRegistry/getShard.js";
import { isComposeHashAllowed } from "../contracts/modelRegistry/isComposeHashAllowed.js";
import { isOsImageAllowed } from "../contracts/modelRegistry/isOsImageAllowed.js";
import { getRunner } from "../contracts/runnerRegistry/getRunner.js";
import type { TeeTeeContracts } from "../contracts/types.js";
import {
  fetchRunnerAttestation,
  type RunnerAttestationDocument,
} from "../protocol/runnerAttestationDocument.js";
import { compressedPublicKey } from "../wire/wireKeys.js";
import { type PipelineError, RunnerAttestationMismatchError } from "./errors.js";

/** A runner of a route: its address, where it listens, and the key frames are sealed to. */
export type RouteRunner = { runner: Address; endpoint: string; publicKey: Hex };

export type RouteVerifierParameters = {
  client: TeeTeeClient;
  contracts: Pick<TeeTeeContracts, "runnerRegistry" | "modelRegistry">;
  chainId: number;
  policy: AttestationPolicy;
  /** Re-read the chain at least this often for a runner already verified (its record can change). Default 60 s. */
  recheckSeconds?: number;
  /** Where attestation documents come from; default `fetchRunnerAttestation`. */
  fetchAttestation?: (endpoint: string) => Promise<RunnerAttestationDocument>;
  now?: () => number;
};

export type VerifiedRunner = RouteRunner & {
  modelId: Hex;
  shardIndex: number;
  quoteHash: Hex;
  /** Seconds since epoch after which the runner must be verified again. */
  validUntil: number;
};

/** The 33-byte compressed form of a runner's key, from any of the forms it travels in. */
export function normalizePublicKey(publicKey: Hex): Hex {
  const bytes = (publicKey.length - 2) / 2;
  const full = bytes === 64 ? concat(["0x04", publicKey]) : publicKey;
  return `0x${Buffer.from(compressedPublicKey(full)).toString("hex")}`;
}

/**
 * Checks that a route runner is who the route says, before any activation is sealed to it: its on-chain
 * record (active, model, shard, public key), then its published quote with the SDK's verifier (signature or
 * dev-quote policy, RTMR3 replay, compose-hash allowlist, report data, registered quote hash, TTL). Passing
 * verdicts are cached until the attestation expires or `recheckSeconds` pass, whichever is first.
 *
 * @example
 * const verifier = new RouteVerifier({ client, contracts, chainId, policy: { allowDevQuotes: true } });
 * await verifier.verify(hop, { modelId, shardIndex: 1 });
 */
export class RouteVerifier {
  readonly #params: RouteVerifierParameters;
  readonly #verified = new Map<string, VerifiedRunner>();
  readonly #inFlight = new Map<string, Promise<VerifiedRunner>>();

  constructor(params: RouteVerifierParameters) {
    this.#params = params;
  }

  #now(): number {
    return this.#params.now?.() ?? Date.now() / 1000;
  }

  /** Resolves when `hop` is an attested runner of `expected`; throws a {@link PipelineError} (502) otherwise. */
  async verify(hop: RouteRunner, expected: { modelId: Hex; shardIndex: number }): Promise<VerifiedRunner> {
    const key = `${hop.runner.toLowerCase()}|${normalizePublicKey(hop.publicKey)}|${hop.endpoint}|${expected.modelId}|${expected.shardIndex}`;
    const cached = this.#verified.get(key);
    if (cached !== undefined && cached.validUntil > this.#now()) return cached;
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const run = this.#verifyUncached(hop, expected).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, run);
    const verified = await run;
    this.#verified.set(key, verified);
    return verified;
  }

  async #verifyUncached(
    hop: RouteRunner,
    expected: { modelId: Hex; shardIndex: number },
  ): Promise<VerifiedRunner> {
    const { client, contracts, chainId, policy } = this.#params;
    const record = await getRunner(client, { contracts, runner: hop.runner }).catch((cause: unknown) => {
      throw mismatch(hop, "has no on-chain registration", cause);
    });
    if (!record.active) throw mismatch(hop, "is not active on-chain");
    if (
      record.modelId.toLowerCase() !== expected.modelId.toLowerCase() ||
      record.shardIndex !== expected.shardIndex
    ) {
      throw mismatch(
        hop,
        `is registered for shard ${record.shardIndex} of ${record.modelId}, not shard ${expected.shardIndex} of ${expected.modelId}`,
      );
    }
    if (normalizePublicKey(record.publicKey) !== normalizePublicKey(hop.publicKey)) {
      throw mismatch(hop, "presents a public key other than its registered one");
    }
    const [shard, model, document] = await Promise.all([
      getShard(client, { contracts, modelId: expected.modelId, shardIndex: BigInt(expected.shardIndex) }),
      getModel(client, { contracts, modelId: expected.modelId }),
      (this.#params.fetchAttestation ?? fetchRunnerAttestation)(hop.endpoint),
    ]);
    if (
      !isAddressEqual(document.runner, hop.runner) ||
      normalizePublicKey(document.publicKey) !== normalizePublicKey(hop.publicKey)
    ) {
      throw mismatch(hop, "publishes an attestation for another runner or key");
    }
    const verdict = await assertRunnerAttestation({
      evidence: { quote: document.quote, eventLog: document.eventLog },
      registration: {
        chainId,
        registry: contracts.runnerRegistry,
        modelId: expected.modelId,
        shardIndex: expected.shardIndex,
        runner: hop.runner,
        weightsHash: shard.weightsHash,
        quoteHash: record.quoteHash,
        attestedAt: record.attestedAt,
        attestationTtl: model.attestationTtl,
        allowedComposeHashes: (composeHash) =>
          isComposeHashAllowed(client, { contracts, modelId: expected.modelId, composeHash }),
        allowedOsImages: (osImage) =>
          isOsImageAllowed(client, { contracts, modelId: expected.modelId, osImage }),
      },
      policy,
    }).catch((cause: unknown) => {
      throw mismatch(hop, "failed attestation", cause);
    });
    const recheck = this.#now() + (this.#params.recheckSeconds ?? 60);
    return {
      ...hop,
      modelId: expected.modelId,
      shardIndex: expected.shardIndex,
      quoteHash: record.quoteHash,
      validUntil: Math.min(recheck, verdict.expiresAt ?? recheck),
    };
  }
}

function mismatch(hop: RouteRunner, problem: string, cause?: unknown): PipelineError {
  const causeText = cause instanceof Error ? describe(cause) : undefined;
  return new RunnerAttestationMismatchError(`Runner ${hop.runner} ${problem}`, {
    cause,
    status: 502,
    ...(causeText === undefined ? {} : { details: causeText }),
    hint: "Route around this runner; it cannot be trusted with activations.",
  });
}
