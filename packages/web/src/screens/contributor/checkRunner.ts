import { checkRunnerRegistration, type RegistrationCheck } from "@teetee/sdk/attestation";
import { parseRunnerAttestationDocument, type RunnerAttestationDocument } from "@teetee/sdk/protocol";
import type { Address, PublicClient } from "viem";
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
  document: RunnerAttestationDocument;
  consent: RunnerConsent | undefined;
  now: number;
};

/**
 * Every check a contributor sees before registering a runner, the SDK's `checkRunnerRegistration` (the same list
 * `teetee runner register` refuses on): chain facts, the attestation, the consent, the free stake.
 */
export async function checkRunner(input: Inputs): Promise<RunnerReport> {
  const { config, document, token } = input;
  const { checks } = await checkRunnerRegistration(input.publicClient, {
    chainId: config.chainId,
    contracts: config.contracts,
    document,
    call: input.consent?.call,
    contributor: input.contributor,
    now: BigInt(input.now),
  });
  const lines: Check[] = [
    pass("Runner published its attestation", `runner ${document.runner}, shard ${document.shardIndex}`),
    ...checks.map((c) => ({ title: c.title, status: c.status, detail: inTokens(c, token) })),
  ];
  return { document, checks: lines, ok: lines.every((c) => c.status === "pass") };
}

/** The free-stake line in token units; the others as the SDK words them. */
function inTokens(check: RegistrationCheck, token: TokenInfo): string {
  if (check.id !== "free-stake" || check.amounts === undefined) return check.detail;
  const { needed, available } = check.amounts;
  return check.status === "pass"
    ? `${formatToken(needed, token)} will be locked`
    : `This model locks ${formatToken(needed, token)} per runner; you have ${formatToken(available, token)} free. Stake more first.`;
}
