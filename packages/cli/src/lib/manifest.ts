import { resolve } from "node:path";
import { loadManifest, type Manifest } from "@teetee/inference";
import type { CliIo } from "./io.js";

export async function manifestAt(io: CliIo, dir: string): Promise<Manifest> {
  return loadManifest(resolve(io.cwd, dir));
}

/** A shard of a manifest as `--json` prints it. */
export function summaryOfShard(s: Manifest["shards"][number]) {
  return {
    index: s.index,
    layerStart: s.layerStart,
    layerEnd: s.layerEnd,
    weightsHash: s.weightsHash,
    bytes: s.files.reduce((n, f) => n + f.bytes, 0),
  };
}

/** A shard of a manifest in one line of text. */
export function describeShard(s: Manifest["shards"][number]): string {
  const mb = s.files.reduce((n, f) => n + f.bytes, 0) / 1e6;
  return `layers [${s.layerStart}, ${s.layerEnd}) ${mb.toFixed(1)} MB weights ${s.weightsHash}`;
}
