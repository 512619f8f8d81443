import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_SHAPE } from "../src/benchModel.js";
import { makeTestModel } from "../src/makeTestModel.js";
import type { WeightsSpec } from "../src/quantize.js";
import { shardModel } from "../src/shardModel.js";

const modelsDir = resolve(dirname(fileURLToPath(import.meta.url)), "../.models");

/** The bench model's folder, generated on first use (as `pnpm bench:inference` does). */
export function benchModelDir(): string {
  const dir = join(modelsDir, "bench");
  if (!existsSync(join(dir, "config.json"))) {
    console.log(`generating the bench model in ${dir} ...`);
    makeTestModel({ dir, ...BENCH_SHAPE });
  }
  return dir;
}

/** The bench model as one shard in `weights`' format, sharded on first use into `.models/quant-<format>`. */
export async function benchShardIn(weights: WeightsSpec): Promise<string> {
  const suffix = weights.format === "fp32" ? "fp32" : `${weights.format}-${weights.blockSize}`;
  const dir = join(modelsDir, `quant-${suffix}`);
  if (!existsSync(join(dir, "manifest.json"))) {
    await shardModel({ modelDir: benchModelDir(), outDir: dir, shardCount: 1, ...weights, quiet: true });
  }
  return dir;
}
