import type { AttestationVerdict } from "./attestationResult.js";
import { AttestationError } from "./errors.js";
import {
  type VerifyRunnerAttestationParameters,
  verifyRunnerAttestation,
} from "./verifyRunnerAttestation.js";

/**
 * Like {@link verifyRunnerAttestation}, but throws the first failing check's named error, for
 * code paths (gateway routing, runner-to-runner forwarding) that only proceed on success.
 */
export async function assertRunnerAttestation(
  params: VerifyRunnerAttestationParameters,
): Promise<AttestationVerdict> {
  const verdict = await verifyRunnerAttestation(params);
  if (verdict.ok) return verdict;
  throw (
    verdict.error ??
    new AttestationError("Attestation is incomplete", {
      details: verdict.checks
        .filter((check) => check.status !== "pass")
        .map((check) => `${check.id}: ${check.detail}`)
        .join("; "),
    })
  );
}
