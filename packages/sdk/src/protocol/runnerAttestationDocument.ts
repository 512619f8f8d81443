import { type Address, getAddress, type Hex, isAddress } from "viem";
import { z } from "zod";
import { RunnerAttestationMismatchError } from "../pipeline/errors.js";
import { ATTESTATION_PATH, runnerUrl } from "./paths.js";

const hex = z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/, "expected 0x-prefixed hex") as z.ZodType<Hex>;
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes of hex") as z.ZodType<Hex>;
const address = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), "expected an address")
  .transform((value) => getAddress(value) as Address);

/** The values the quote's report data commits to; hashing them must give `reportData`'s first 32 bytes. */
const reportDataPreimage = z.object({
  tag: bytes32,
  chainId: z.number().int().positive(),
  registry: address,
  modelId: bytes32,
  shardIndex: z.number().int().min(0).max(0xffff),
  runner: address,
  weightsHash: bytes32,
});

/** What `GET {endpoint}/v1/attestation` returns: everything a verifier needs besides the chain. */
export const runnerAttestationDocumentSchema = z.object({
  version: z.literal(1),
  runner: address,
  /** 64-byte uncompressed secp256k1 key without the 0x04 prefix, as registered on-chain. */
  publicKey: hex.refine((value) => value.length === 2 + 128, "expected a 64-byte public key"),
  modelId: bytes32,
  shardIndex: z.number().int().min(0).max(0xffff),
  weightsHash: bytes32,
  chainId: z.number().int().positive(),
  runnerRegistry: address,
  quote: hex,
  quoteHash: bytes32,
  eventLog: z.string(),
  reportData: hex.refine((value) => value.length === 2 + 128, "expected 64 bytes of report data"),
  reportDataPreimage,
  /** The compose hash the runner's TEE reports measuring (a claim; verifiers read it from the event log). */
  composeHash: bytes32.optional(),
  /** SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of the quote (a claim; verifiers recompute it from the quote). */
  osImage: bytes32.optional(),
  /** The shard manifest the runner loaded; its canonical hash is `modelId`. */
  manifest: z.record(z.string(), z.unknown()),
});

export type RunnerAttestationDocument = z.infer<typeof runnerAttestationDocumentSchema>;

/** Validates a parsed attestation document; throws {@link RunnerAttestationMismatchError} when malformed. */
export function parseRunnerAttestationDocument(
  value: unknown,
  source = "attestation document",
): RunnerAttestationDocument {
  const parsed = runnerAttestationDocumentSchema.safeParse(value);
  if (!parsed.success) {
    throw new RunnerAttestationMismatchError(`The runner's ${source} is malformed`, {
      details: z.prettifyError(parsed.error),
      status: 502,
    });
  }
  return parsed.data;
}

/**
 * Fetches and validates a runner's attestation document. It proves nothing by itself: pass it to
 * `verifyRunnerAttestation` (or a {@link RouteVerifier}) with the runner's on-chain record.
 */
export async function fetchRunnerAttestation(
  endpoint: string,
  options: { timeoutMs?: number } = {},
): Promise<RunnerAttestationDocument> {
  const url = runnerUrl(endpoint, ATTESTATION_PATH);
  const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) }).catch(
    (cause: unknown) => {
      throw new RunnerAttestationMismatchError(`Runner at ${endpoint} did not publish its attestation`, {
        cause,
        status: 502,
      });
    },
  );
  if (!response.ok) {
    throw new RunnerAttestationMismatchError(
      `Runner at ${endpoint} answered ${response.status} for its attestation`,
      {
        status: 502,
      },
    );
  }
  return parseRunnerAttestationDocument(await response.json(), `attestation document at ${url}`);
}
