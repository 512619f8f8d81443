/**
 * One shard loaded alone in this fresh process, as the runner loads it (`ShardSession.create`, no verification),
 * then a prefill of the bench prompt and `--steps` decode steps; prints its memory after each phase as JSON.
 *   tsx packages/inference/scripts/bigShapeProbe.ts int4-x4:1 [--steps 64] [--threads 1]
 *   tsx packages/inference/scripts/bigShapeProbe.ts int4-x1@no-cpu-arena:0
 * A child of `pnpm bench:bigshape`, kept apart from it so that the process imports no more than a runner's shard
 * path does (the benchmark's own modules measured ~28 MiB of RSS).
 */
import { parseArgs } from "node:util";
import { BENCH_PROMPT } from "../src/benchModel.js";
import { loadManifest } from "../src/manifest.js";
import { ShardSession } from "../src/ShardSession.js";
import { parseSpec, shardDir } from "./lib/bigShape.js";
import { type MemorySnapshot, memorySnapshot, residentByMapping } from "./lib/processMemory.js";
import { withSessionOptions } from "./lib/sessionOptions.js";
import { median, round } from "./lib/stats.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { steps: { type: "string", default: "64" }, threads: { type: "string", default: "1" } },
});
const probe = positionals[0] ?? "int4-x4:1";
process.stdout.write(JSON.stringify(await memoryProbe(probe, Number(values.steps), Number(values.threads))));

async function memoryProbe(probe: string, steps: number, threads: number) {
  const [spec, index] = probe.split(":") as [string, string];
  const { shards, variant } = parseSpec(spec);
  const dir = shardDir(shards);
  const shardIndex = Number(index);
  const phases: Record<string, MemorySnapshot> = { imported: memorySnapshot() };
  const manifest = await loadManifest(dir);
  const shard = await withSessionOptions(variant, () =>
    ShardSession.create({ dir, shardIndex, manifest, verify: false, intraOpNumThreads: threads }),
  );
  phases["loaded"] = memorySnapshot();
  const mappingsLoaded = residentByMapping();
  const hidden = (positions: number) => new Float32Array(positions * manifest.hiddenSize).fill(0.5);
  const forward = (ids: number[]) =>
    shard.forward(shard.isFirst ? { inputIds: ids } : { hiddenStates: hidden(ids.length) });
  await forward(BENCH_PROMPT);
  phases["prefilled"] = memorySnapshot();
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await forward([i + 1]);
    stepMs.push(performance.now() - start);
  }
  phases["decoded"] = memorySnapshot();
  const result = {
    probe,
    weightBytes: manifest.shards[shardIndex]!.files.reduce((n, f) => n + f.bytes, 0),
    kvCacheBytes: shard.kvCacheBytes(),
    kvBytesInUse: shard.kvBytesPerToken * shard.cachedLength(),
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
    /** Unpaired, so only a coarse guide (a variant's speed is judged by `bench:bigshape`'s paired rounds). */
    medianDecodeStepMs: round(median(stepMs), 2),
    phases,
    residentMiBByMapping: { loaded: mappingsLoaded, decoded: residentByMapping() },
  };
  await shard.release();
  return result;
}

export type Probe = Awaited<ReturnType<typeof memoryProbe>>;
