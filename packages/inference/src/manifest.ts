import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ManifestError } from "./errors.js";
import { MANIFEST_FILE, type Manifest, type ManifestFile, parseManifest } from "./manifestFormat.js";

export * from "./manifestFormat.js";

/** SHA-256 of a file, streamed so multi-gigabyte weight files never sit in memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Size and SHA-256 of a file in `dir`, as the manifest records it. */
export async function describeFile(dir: string, path: string): Promise<ManifestFile> {
  const full = join(dir, path);
  return { path, bytes: (await stat(full)).size, sha256: await sha256File(full) };
}

/**
 * Reads and validates `manifest.json` in a shard folder (see `parseManifest`). With `expectedModelId`, also that the
 * manifest is the one the caller trusts (e.g. the id registered on-chain).
 */
export async function loadManifest(
  dir: string,
  options: { expectedModelId?: string } = {},
): Promise<Manifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8"));
  } catch (cause) {
    throw new ManifestError(`cannot read ${MANIFEST_FILE} in ${dir}`, {
      cause,
      hint: "Pass the output folder of shardModel().",
    });
  }
  return parseManifest(raw, MANIFEST_FILE, options);
}
