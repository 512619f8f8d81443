import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkShardFormat } from "./checkShardFormat.js";
import { ManifestError } from "./errors.js";
import { type Bytes32, describeFile, type Manifest, type ManifestFile } from "./manifest.js";

/**
 * Hashes a shard's files on disk and compares them with the manifest; throws `ManifestError` naming the first
 * file that is missing or differs. Then checks the graph stores its weights in the manifest's declared format
 * (`checkShardFormat`; a `WeightFormatError` otherwise). Returns the shard's `weightsHash` for the runner's
 * attestation.
 */
export async function verifyShardFiles(
  manifest: Manifest,
  shardIndex: number,
  dir: string,
): Promise<Bytes32> {
  const shard = manifest.shards[shardIndex];
  if (!shard)
    throw new ManifestError(`manifest has no shard ${shardIndex} (it has ${manifest.shards.length})`);
  for (const expected of shard.files) {
    let actual: ManifestFile;
    try {
      actual = await describeFile(dir, expected.path);
    } catch (cause) {
      throw new ManifestError(`shard ${shardIndex} file ${expected.path} cannot be read`, { cause });
    }
    if (actual.bytes !== expected.bytes || actual.sha256 !== expected.sha256) {
      throw new ManifestError(`shard ${shardIndex} file ${expected.path} does not match the manifest hash`, {
        hint: "The file is corrupt or was replaced; fetch the shard again.",
      });
    }
  }
  checkShardFormat(manifest, shardIndex, await readFile(join(dir, shard.graph)));
  return shard.weightsHash as Bytes32;
}
