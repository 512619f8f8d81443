import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";
import { z } from "zod";
import { SUPPORTED_ARCHITECTURES } from "./architectures.js";
import { ManifestError } from "./errors.js";
import { KV_CACHE_LAYOUTS, type KvCacheLayout } from "./kvCacheLayout.js";

// The manifest's format, model id and validation, browser-safe (no file system, no node:crypto): a buyer's browser
// checks a gateway's manifest and tokenizer files against the on-chain model id with these. manifest.ts adds the
// folder-reading parts.

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "teetee-shards/1";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/);
/** Paths are plain file names inside the shard folder (no separators, no leading dot): never pointing elsewhere. */
const fileName = z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/);
const fileEntry = z.object({ path: fileName, bytes: z.number().int().min(0), sha256: hex64 });

const ropeScaling = z.discriminatedUnion("type", [
  z.object({ type: z.literal("none") }),
  z.object({ type: z.literal("linear"), factor: z.number() }),
  z.object({
    type: z.literal("llama3"),
    factor: z.number(),
    lowFreqFactor: z.number(),
    highFreqFactor: z.number(),
    originalMaxPositions: z.number(),
  }),
]);

const configSummary = z.object({
  architecture: z.enum(SUPPORTED_ARCHITECTURES),
  hiddenSize: z.number().int().positive(),
  intermediateSize: z.number().int().positive(),
  numLayers: z.number().int().positive(),
  numHeads: z.number().int().positive(),
  numKvHeads: z.number().int().positive(),
  headDim: z.number().int().positive(),
  vocabSize: z.number().int().positive(),
  maxPositions: z.number().int().positive(),
  rmsNormEps: z.number().positive(),
  ropeTheta: z.number().positive(),
  ropeScaling,
  tieWordEmbeddings: z.boolean(),
  qkvBias: z.boolean(),
  oBias: z.boolean(),
  mlpBias: z.boolean(),
});

const shardEntry = z.object({
  index: z.number().int().min(0),
  layerStart: z.number().int().min(0),
  layerEnd: z.number().int().positive(),
  embedsTokens: z.boolean(),
  hasLmHead: z.boolean(),
  graph: fileName,
  files: z.array(fileEntry).min(1),
  weightsHash: bytes32,
});

/** The weight format of every shard (see `WeightsSpec`); quantized formats name their block size. */
const weightsEntry = z.discriminatedUnion("format", [
  z.object({ format: z.literal("fp32") }),
  z.object({ format: z.literal(["int8", "int4"]), blockSize: z.number().int().min(16) }),
]);

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  architecture: z.enum(SUPPORTED_ARCHITECTURES),
  hiddenSize: z.number().int().positive(),
  /** The activations' and the KV cache's dtype; `weights` says how the weights are stored. */
  dtype: z.literal("float32"),
  weights: weightsEntry,
  /** The shard graphs' KV cache layout; manifests written before it existed hold `concat` graphs. */
  kvCache: z.enum(KV_CACHE_LAYOUTS).optional(),
  config: configSummary,
  tokenizer: z.object({ sha256: hex64, files: z.array(fileEntry) }),
  shards: z.array(shardEntry).min(1),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestShard = Manifest["shards"][number];
export type ManifestFile = z.infer<typeof fileEntry>;

/** The KV cache layout of `manifest`'s graphs: its `kvCache`, or `concat` for manifests that predate the field. */
export function kvCacheOf(manifest: Pick<Manifest, "kvCache">): KvCacheLayout {
  return manifest.kvCache ?? "concat";
}
/** A 0x-prefixed 32-byte hex string, usable as a Solidity bytes32. */
export type Bytes32 = `0x${string}`;

/**
 * Canonical JSON: object keys sorted by UTF-16 code units at every level, no whitespace, numbers and strings as
 * `JSON.stringify` writes them. For the values a manifest holds this is RFC 8785 (JCS), so any language can
 * recompute the model id from the parsed manifest.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The model id: SHA-256 of the manifest's canonical JSON (UTF-8), as 0x-prefixed hex. */
export function modelIdOf(manifest: Manifest): Bytes32 {
  return `0x${sha256Hex(canonicalJson(manifest))}`;
}

/**
 * A shard's weights hash: SHA-256 of the `sha256sum` listing of its files sorted by path, i.e. of the UTF-8
 * lines `<sha256 hex><two spaces><path>\n`. An operator can check it with
 * `sha256sum <files in path order> | sha256sum`. Committing to names as well as contents means swapping the
 * graph and data files is detected too.
 */
export function weightsHashOf(files: readonly ManifestFile[]): Bytes32 {
  const listing = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.path}\n`)
    .join("");
  return `0x${sha256Hex(listing)}`;
}

/** SHA-256 of bytes, or of a string as UTF-8, as lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return bytesToHex(sha256(typeof data === "string" ? utf8ToBytes(data) : data));
}

/**
 * Validates a parsed `manifest.json` (`source` names it in errors): the structure, that shards partition the layers
 * in order, and that each shard's `weightsHash` matches its file list. With `expectedModelId`, also that the
 * manifest is the one the caller trusts (e.g. the id registered on-chain).
 */
export function parseManifest(
  raw: unknown,
  source: string,
  options: { expectedModelId?: string } = {},
): Manifest {
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ManifestError(`${source} is invalid: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const manifest = parsed.data;
  checkShardLayout(manifest);
  const id = modelIdOf(manifest);
  if (options.expectedModelId !== undefined && options.expectedModelId.toLowerCase() !== id) {
    throw new ManifestError(
      `manifest hash ${id} does not match the expected model id ${options.expectedModelId}`,
      {
        hint: "The shard folder holds a different model or an edited manifest; re-download it.",
      },
    );
  }
  return manifest;
}

function checkShardLayout(manifest: Manifest): void {
  let next = 0;
  manifest.shards.forEach((shard, i) => {
    if (shard.index !== i || shard.layerStart !== next || shard.layerEnd <= shard.layerStart) {
      throw new ManifestError(
        `manifest shard ${i} covers layers [${shard.layerStart}, ${shard.layerEnd}), expected to start at ${next}`,
      );
    }
    if (shard.embedsTokens !== (i === 0) || shard.hasLmHead !== (i === manifest.shards.length - 1)) {
      throw new ManifestError(`manifest shard ${i} has the wrong embedding or LM-head flag`);
    }
    if (!shard.files.some((f) => f.path === shard.graph)) {
      throw new ManifestError(`manifest shard ${i} graph ${shard.graph} is not among its hashed files`);
    }
    if (weightsHashOf(shard.files) !== shard.weightsHash) {
      throw new ManifestError(`manifest shard ${i} weightsHash does not match its file list`);
    }
    next = shard.layerEnd;
  });
  if (next !== manifest.config.numLayers) {
    throw new ManifestError(
      `manifest shards cover ${next} layers, the model has ${manifest.config.numLayers}`,
    );
  }
}
