/**
 * Where a decode step's time goes inside onnxruntime, per operator type, for one shard folder: onnxruntime's own
 * profiler over 20 decode steps after a prefill. Used for docs/benchmarks/inference.md ("KV cache: in-place vs
 * concat"), e.g. on the folders `pnpm bench:inference --kv` writes:
 *   tsx packages/inference/scripts/profileKv.ts packages/inference/.models/bench-2k-kv-fp32-inPlace [--prompt 1024]
 * ShardSession has no profiling option, so this script wraps `InferenceSession.create` to turn it on.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { forwardChain } from "../src/generate.js";
import { loadManifest } from "../src/manifest.js";
import { ShardSession } from "../src/ShardSession.js";

const STEPS = 20;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { prompt: { type: "string", default: "1024" } },
});
const dir = positionals[0]!;
const manifest = await loadManifest(dir);
const prefix = join(tmpdir(), `teetee-profile-${process.pid}`);
const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (
  path: string,
  options: ort.InferenceSession.SessionOptions,
) => Promise<ort.InferenceSession>;
Object.assign(ort.InferenceSession, {
  create: (path: string, options: ort.InferenceSession.SessionOptions) =>
    create(path, { ...options, enableProfiling: true, profileFilePrefix: prefix }),
});
const shard = await ShardSession.create({
  dir,
  shardIndex: 0,
  manifest,
  verify: false,
  intraOpNumThreads: 1,
});
const prompt = Array.from({ length: Number(values.prompt) }, (_, i) => 10 + ((i * 7919) % 16000));
await forwardChain([shard], { sessionId: "p", inputIds: prompt });
const start = performance.now();
for (let i = 0; i < STEPS; i++) await forwardChain([shard], { sessionId: "p", inputIds: [5 + i] });
const wallMs = (performance.now() - start) / STEPS;
await shard.release();

type ProfileEvent = { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string } };
const file = readdirSync(tmpdir())
  .map((name) => join(tmpdir(), name))
  .find((path) => path.startsWith(prefix))!;
const events = JSON.parse(readFileSync(file, "utf8")) as ProfileEvent[];
rmSync(file);
const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run").slice(-STEPS);
const from = runs[0]!.ts;
const byOp = new Map<string, number>();
for (const e of events) {
  if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || e.ts < from) continue;
  const op = e.args?.op_name ?? "?";
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur / STEPS / 1000);
}
console.log(
  `${dir} (kvCache ${manifest.kvCache ?? "concat"}), ${prompt.length}-token prompt: wall ${wallMs.toFixed(2)} ms/step, ` +
    `model_run ${(runs.reduce((n, e) => n + e.dur, 0) / STEPS / 1000).toFixed(2)} ms/step`,
);
console.table(
  [...byOp]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([op, ms]) => ({ operator: op, "ms/step": Number(ms.toFixed(3)) })),
);
