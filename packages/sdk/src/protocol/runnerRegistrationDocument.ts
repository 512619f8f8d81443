import { type Address, getAddress, type Hex, isAddress } from "viem";
import { z } from "zod";
import { RunnerRegistrationDocumentError } from "./errors.js";

const hex = z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/, "expected 0x-prefixed hex") as z.ZodType<Hex>;
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes of hex") as z.ZodType<Hex>;
const address = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), "expected an address")
  .transform((value) => getAddress(value) as Address);
/** A uint256 in JSON: a decimal string (how the runner writes bigints) or a safe integer. */
const uint = z
  .union([z.string().regex(/^\d+$/, "expected a decimal integer"), z.number().int().min(0)])
  .transform((value) => BigInt(value));

/** The `registration` struct `RunnerRegistry.registerRunner` takes, as JSON. */
export const runnerRegistrationSchema = z.object({
  runner: address,
  modelId: bytes32,
  shardIndex: z.number().int().min(0).max(0xffff),
  endpoint: z.string().min(1),
  publicKey: hex,
  quoteHash: bytes32,
  composeHash: bytes32,
  osImage: bytes32,
  deadline: uint,
});

/** `registerRunner(registration, consent)`; without a configured contributor the runner signs no consent. */
const registerRunnerCall = z.object({
  contract: address,
  functionName: z.literal("registerRunner"),
  args: z.object({
    registration: runnerRegistrationSchema,
    consent: hex.optional(),
    contributor: address.optional(),
  }),
});

/** `refreshAttestation(runner, quoteHash, composeHash, osImage, deadline, consent)`. */
const refreshAttestationCall = z.object({
  contract: address,
  functionName: z.literal("refreshAttestation"),
  args: z.object({
    runner: address,
    quoteHash: bytes32,
    composeHash: bytes32,
    osImage: bytes32,
    deadline: uint,
    consent: hex,
  }),
});

/** A contract call the runner signed for its contributor to submit (e.g. with `teetee runner register`). */
export const printedRunnerCallSchema = z.discriminatedUnion("functionName", [
  registerRunnerCall,
  refreshAttestationCall,
]);

/**
 * What `GET {endpoint}/v1/registration` returns: what the runner did about its on-chain record (registered or
 * refreshed it with a contributor key it holds, found it current), or the call it signed for its contributor.
 */
export const runnerRegistrationDocumentSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("registered"), transaction: bytes32 }),
  z.object({ action: z.literal("refreshed"), transaction: bytes32 }),
  z.object({ action: z.literal("unchanged") }),
  z.object({ action: z.literal("printed"), call: printedRunnerCallSchema }),
]);

/** The document as read: addresses checksummed, deadlines as bigints. */
export type RunnerRegistrationDocument = z.output<typeof runnerRegistrationDocumentSchema>;
/** The document as JSON, what the runner serves: deadlines as decimal strings. */
export type RunnerRegistrationDocumentJson = z.input<typeof runnerRegistrationDocumentSchema>;
export type PrintedRunnerCall = z.output<typeof printedRunnerCallSchema>;

/**
 * Validates a `/v1/registration` document (parsed JSON).
 * @throws RunnerRegistrationDocumentError naming every malformed field in `details`.
 */
export function parseRunnerRegistrationDocument(
  value: unknown,
  source = "registration document",
): RunnerRegistrationDocument {
  const parsed = runnerRegistrationDocumentSchema.safeParse(value);
  if (!parsed.success) {
    throw new RunnerRegistrationDocumentError(`The runner's ${source} is malformed`, {
      details: z.prettifyError(parsed.error),
      hint: "Is it a TeeTee runner, recent enough to publish its registration?",
    });
  }
  return parsed.data;
}

/** The JSON form the runner serves: bigints as decimal strings, so `parseRunnerRegistrationDocument` reads it back. */
export function runnerRegistrationDocumentJson(
  document: RunnerRegistrationDocument,
): RunnerRegistrationDocumentJson {
  return JSON.parse(
    JSON.stringify(document, (_key, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    ),
  ) as RunnerRegistrationDocumentJson;
}
