import type { RunnerRegistration } from "@teetee/sdk/contracts";
import { type Address, getAddress, type Hex, isAddress, isHex } from "viem";

/** A runner's signed consent to be registered by a contributor, as its endpoint (or its startup log) prints it. */
export type RunnerConsent = {
  registration: RunnerRegistration;
  consent: Hex;
  contributor: Address | undefined;
};

function hexField(record: Record<string, unknown>, key: string): Hex {
  const value = record[key];
  if (typeof value !== "string" || !isHex(value)) throw new Error(`consent: ${key} must be hex`);
  return value;
}

/**
 * Reads `{ registration, consent, contributor? }`, also nested under `args` or `call.args` (the shape a runner
 * prints when it has no contributor wallet).
 */
export function parseRunnerConsent(value: unknown): RunnerConsent {
  let record = value as Record<string, unknown>;
  if (typeof record !== "object" || record === null) throw new Error("consent: not a JSON object");
  const call = record["call"] as Record<string, unknown> | undefined;
  if (call && typeof call === "object") record = call;
  const args = record["args"] as Record<string, unknown> | undefined;
  if (args && typeof args === "object") record = args;
  const r = record["registration"] as Record<string, unknown> | undefined;
  if (typeof r !== "object" || r === null) throw new Error("consent: no registration");
  const runner = r["runner"];
  if (typeof runner !== "string" || !isAddress(runner, { strict: false }))
    throw new Error("consent: bad runner");
  const contributor = record["contributor"];
  return {
    registration: {
      runner: getAddress(runner),
      modelId: hexField(r, "modelId"),
      shardIndex: Number(r["shardIndex"]),
      endpoint: String(r["endpoint"] ?? ""),
      publicKey: hexField(r, "publicKey"),
      quoteHash: hexField(r, "quoteHash"),
      composeHash: hexField(r, "composeHash"),
      osImage: hexField(r, "osImage"),
      deadline: BigInt(String(r["deadline"] ?? "0")),
    },
    consent: hexField(record, "consent"),
    contributor:
      typeof contributor === "string" && isAddress(contributor, { strict: false })
        ? getAddress(contributor)
        : undefined,
  };
}
