import type { RunnerRegistration } from "@teetee/sdk/contracts";
import { type PrintedRunnerCall, parseRunnerRegistrationDocument } from "@teetee/sdk/protocol";
import type { Address, Hex } from "viem";

/** A runner's signed consent to be registered by a contributor, as its endpoint (or its startup log) prints it. */
export type RunnerConsent = {
  registration: RunnerRegistration;
  consent: Hex;
  contributor: Address | undefined;
  /** The `registerRunner` call it signed, as the pre-registration check reads it. */
  call: PrintedRunnerCall;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/**
 * The `/v1/registration` document a pasted text stands for: the document itself, the `{ call }` line a runner
 * without a contributor wallet logs, or the bare call.
 */
function asDocument(value: unknown): unknown {
  if (!isRecord(value) || "action" in value) return value;
  return { action: "printed", call: "call" in value ? value["call"] : value };
}

/**
 * Reads a runner's registration document (fetched, or pasted in any form its log prints) with the SDK's schema:
 * the consent to `registerRunner` it carries. Throws `RunnerRegistrationDocumentError` when malformed, and says so
 * when the runner signed no `registerRunner` consent.
 */
export function parseRunnerConsent(value: unknown): RunnerConsent {
  const document = parseRunnerRegistrationDocument(asDocument(value));
  if (document.action !== "printed" || document.call.functionName !== "registerRunner")
    throw new Error("The runner offers no registration consent (it is registered already, or refreshing).");
  const { registration, consent, contributor } = document.call.args;
  if (consent === undefined)
    throw new Error("The runner signed no consent: restart it with --contributor <your address>.");
  return { registration, consent, contributor, call: document.call };
}
