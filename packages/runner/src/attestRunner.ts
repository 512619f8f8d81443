import type { Manifest } from "@teetee/inference";
import {
  ATTESTATION_COMMITMENT_TAG,
  type AttestationCommitmentParameters,
  computeQuoteHash,
  computeReportData,
  extractComposeHash,
  parseEventLog,
  quoteOsImage,
} from "@teetee/sdk/attestation";
import type { RunnerAttestationDocument } from "@teetee/sdk/protocol";
import type { Hex } from "viem";
import { RunnerStartupError } from "./errors.js";

/** What `DstackClient.getQuote` offers; structural so other agents can stand in. */
export type QuoteSource = {
  getQuote: (reportData: Uint8Array) => Promise<{ quote: string; event_log: string }>;
};

function prefixed(hex: string): Hex {
  return (hex.startsWith("0x") ? hex : `0x${hex}`) as Hex;
}

/**
 * Asks the TEE for a quote whose report data commits to this runner's registration (chain, registry, model,
 * shard, runner address, weights hash) and never to anything a request carries, and returns the attestation
 * document the runner publishes.
 */
export async function attestRunner(params: {
  dstack: QuoteSource;
  commitment: AttestationCommitmentParameters;
  publicKey: Hex;
  manifest: Manifest;
}): Promise<RunnerAttestationDocument> {
  const { commitment } = params;
  const reportData = computeReportData(commitment);
  let quoted: { quote: string; event_log: string };
  try {
    quoted = await params.dstack.getQuote(Buffer.from(reportData.slice(2), "hex"));
  } catch (cause) {
    throw new RunnerStartupError("The TEE did not issue a quote", {
      cause,
      hint: "Check that /var/run/dstack.sock is mounted, or that DSTACK_SIMULATOR_ENDPOINT points at a dev-tee.",
    });
  }
  const quote = prefixed(quoted.quote);
  let composeHash: Hex | undefined;
  try {
    composeHash = extractComposeHash(parseEventLog(quoted.event_log));
  } catch {
    composeHash = undefined;
  }
  let osImage: Hex | undefined;
  try {
    osImage = quoteOsImage(quote);
  } catch {
    osImage = undefined;
  }
  return {
    version: 1,
    runner: commitment.runner,
    publicKey: params.publicKey,
    modelId: commitment.modelId,
    shardIndex: commitment.shardIndex,
    weightsHash: commitment.weightsHash,
    chainId: Number(commitment.chainId),
    runnerRegistry: commitment.registry,
    quote,
    quoteHash: computeQuoteHash(Buffer.from(quote.slice(2), "hex")),
    eventLog: quoted.event_log,
    reportData,
    reportDataPreimage: {
      tag: ATTESTATION_COMMITMENT_TAG,
      chainId: Number(commitment.chainId),
      registry: commitment.registry,
      modelId: commitment.modelId,
      shardIndex: commitment.shardIndex,
      runner: commitment.runner,
      weightsHash: commitment.weightsHash,
    },
    ...(composeHash === undefined ? {} : { composeHash }),
    ...(osImage === undefined ? {} : { osImage }),
    manifest: params.manifest as unknown as Record<string, unknown>,
  };
}
