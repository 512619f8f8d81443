import { loadManifest } from "./src/manifest.js";
import { ShardSession } from "./src/ShardSession.js";
import { forwardChain } from "./src/generate.js";
const dir = "packages/inference/.models/bench-shards-1";
const manifest = await loadManifest(dir);
for (const threads of [1, 2]) {
  const s = await ShardSession.create({ dir, shardIndex: 0, manifest, verify: false, intraOpNumThreads: threads });
  await forwardChain([s], { sessionId: "a", inputIds: Array.from({ length: 16 }, (_, i) => i) });
  const t0 = performance.now();
  for (let i = 0; i < 64; i++) await forwardChain([s], { sessionId: "a", inputIds: [i] });
  console.log(threads, "ms/token", (performance.now() - t0) / 64);
  await s.release();
}
