import { resolve } from "node:path";
import { shardModel } from "@teetee/inference";
import type { Command } from "commander";
import { optionsOf, outputOf, parseInteger } from "../../lib/command.js";
import type { CliIo } from "../../lib/io.js";
import { describeShard, summaryOfShard } from "../../lib/manifest.js";

export function registerModelShard(parent: Command, io: CliIo): void {
  parent
    .command("shard")
    .description("Shard a Hugging Face model folder into per-layer-range ONNX graphs and a manifest")
    .argument("<model-dir>", "Hugging Face folder: config.json, *.safetensors, tokenizer.json")
    .requiredOption("--out <dir>", "folder for the shards and manifest.json")
    .option("--shards <n>", "number of shards of near-equal layer count", "3")
    .option(
      "--boundaries <list>",
      "first layer of every shard after the first, e.g. 2,4 (overrides --shards)",
    )
    .option("--quant <format>", "weight format: fp32, int8 or int4 (block-wise, weight-only)", "fp32")
    .option("--block-size <n>", "weights per quantization block (int8 and int4)", "32")
    .action(async (modelDir: string, _options: object, command: Command) => {
      const options = optionsOf<{
        out: string;
        shards: string;
        boundaries?: string;
        quant: string;
        blockSize: string;
      }>(command);
      const out = outputOf(io, command);
      const split =
        options.boundaries === undefined
          ? { shardCount: parseInteger(options.shards, "shard count", 1, 255) }
          : { boundaries: options.boundaries.split(",").map((b) => parseInteger(b.trim(), "boundary", 1)) };
      out.note(`Sharding ${modelDir} ...`);
      const { manifest, modelId } = await shardModel({
        modelDir: resolve(io.cwd, modelDir),
        outDir: resolve(io.cwd, options.out),
        ...split,
        format: options.quant,
        blockSize: parseInteger(options.blockSize, "block size", 1),
        quiet: options.json === true,
      });
      const { weights } = manifest;
      out.result({ modelId, outDir: options.out, weights, shards: manifest.shards.map(summaryOfShard) }, [
        ["model id", modelId],
        ["weights", weights.format === "fp32" ? "fp32" : `${weights.format}, blocks of ${weights.blockSize}`],
        ["written to", options.out],
        ...manifest.shards.map((s) => [`shard ${s.index}`, describeShard(s)] as const),
      ]);
    });
}
