import { resolve } from "node:path";
import { loadManifest, type Manifest, modelIdOf, shardModel } from "@teetee/inference";
import {
  getModel,
  getModelAllowlists,
  getProtocolFeeBps,
  getRunners,
  getShard,
  registerModel,
  setComposeHashAllowed,
  setOsImageAllowed,
  setPrices,
} from "@teetee/sdk/contracts";
import type { Command } from "commander";
import type { Hex } from "viem";
import { optionsOf, outputOf, parseBytes32, parseInteger } from "../lib/command.js";
import { connect, connectWallet } from "../lib/context.js";
import { usageError } from "../lib/errors.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount, parseAmount, parseDuration } from "../lib/units.js";

/** Each shard's revenue share: `10000 - fee` split by layer count, the rounding remainder to the first shard. */
export function defaultShares(manifest: Manifest, feeBps: number): number[] {
  const total = 10_000 - feeBps;
  const layers = manifest.config.numLayers;
  const shares = manifest.shards.map((s) => Math.floor((total * (s.layerEnd - s.layerStart)) / layers));
  shares[0]! += total - shares.reduce((a, b) => a + b, 0);
  return shares;
}

function parseShares(value: string, count: number): number[] {
  const shares = value.split(",").map((part) => parseInteger(part.trim(), "share (basis points)", 0, 10_000));
  if (shares.length !== count)
    throw usageError(`--shares lists ${shares.length} shares; the model has ${count} shards.`);
  return shares;
}

async function manifestAt(io: CliIo, dir: string): Promise<Manifest> {
  return loadManifest(resolve(io.cwd, dir));
}

export function registerModelCommands(program: Command, io: CliIo): void {
  const model = program.command("model").description("Curators: shard, inspect and register models");

  model
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

  model
    .command("inspect")
    .description("Show a shard folder's manifest, or a registered model's on-chain record")
    .argument("<dir-or-model-id>", "a shard folder (with manifest.json) or a 0x model id")
    .action(async (target: string, _options: object, command: Command) => {
      const out = outputOf(io, command);
      if (/^0x[0-9a-fA-F]{64}$/.test(target)) return inspectOnChain(io, command, target as Hex);
      const manifest = await manifestAt(io, target);
      const modelId = modelIdOf(manifest);
      out.result(
        {
          modelId,
          architecture: manifest.architecture,
          numLayers: manifest.config.numLayers,
          hiddenSize: manifest.hiddenSize,
          tokenizerSha256: manifest.tokenizer.sha256,
          shards: manifest.shards.map(summaryOfShard),
        },
        [
          ["model id", modelId],
          ["architecture", manifest.architecture],
          ["layers", manifest.config.numLayers],
          ["hidden size", manifest.hiddenSize],
          ["tokenizer sha256", manifest.tokenizer.sha256],
          ...manifest.shards.map((s) => [`shard ${s.index}`, describeShard(s)] as const),
        ],
      );
    });

  model
    .command("register")
    .description("Register a sharded model on-chain (needs CURATOR_ROLE)")
    .argument("<shard-dir>", "the output folder of `model shard`")
    .requiredOption("--input-price <tokens>", "price of one million input tokens, in payment tokens")
    .requiredOption("--output-price <tokens>", "price of one million output tokens, in payment tokens")
    .requiredOption("--min-stake <tokens>", "stake each runner locks, in payment tokens")
    .option("--ttl <duration>", "how long an attestation stays valid (e.g. 3600, 12h, 7d)", "1d")
    .option("--compose-hash <hash...>", "dstack compose hashes runners may run under")
    .option(
      "--os-image <measurement...>",
      "OS images runners may boot: SHA-256 of a quote's MRTD and RTMR0-2",
    )
    .option("--shares <bps>", "each shard's revenue share in basis points, comma separated")
    .action(async (dir: string, _options: object, command: Command) => {
      const options = optionsOf<{
        inputPrice: string;
        outputPrice: string;
        minStake: string;
        ttl: string;
        composeHash?: string[];
        osImage?: string[];
        shares?: string;
      }>(command);
      const out = outputOf(io, command);
      const manifest = await manifestAt(io, dir);
      const ctx = await connectWallet(io, options);
      const { decimals } = ctx.token;
      const feeBps = await getProtocolFeeBps(ctx.publicClient, { contracts: ctx.contracts });
      const shares =
        options.shares === undefined
          ? defaultShares(manifest, feeBps)
          : parseShares(options.shares, manifest.shards.length);
      const modelId = modelIdOf(manifest);
      const params = {
        modelId,
        tokenizerHash: `0x${manifest.tokenizer.sha256}` as Hex,
        numLayers: manifest.config.numLayers,
        inputPricePerMTok: parseAmount(options.inputPrice, decimals, "input price"),
        outputPricePerMTok: parseAmount(options.outputPrice, decimals, "output price"),
        minStake: parseAmount(options.minStake, decimals, "minimum stake"),
        attestationTtl: parseDuration(options.ttl, "attestation TTL"),
        shards: manifest.shards.map((s, i) => ({
          firstLayer: s.layerStart,
          endLayer: s.layerEnd,
          weightsHash: s.weightsHash as Hex,
          shareBps: shares[i]!,
        })),
        composeHashes: (options.composeHash ?? []).map((h) => parseBytes32(h, "compose hash")),
        osImages: (options.osImage ?? []).map((h) => parseBytes32(h, "OS image")),
      };
      const receipt = await ctx.send("registerModel", () =>
        registerModel(ctx.walletClient, { contracts: ctx.contracts, model: params }),
      );
      out.result(
        { modelId, shares, feeBps, transaction: receipt.transactionHash, gasUsed: receipt.gasUsed },
        [
          ["registered model", modelId],
          ["shards", manifest.shards.length],
          ["shares (bps)", `${shares.join(", ")} + fee ${feeBps}`],
          [
            "compose hashes",
            params.composeHashes.length === 0 ? "none yet" : params.composeHashes.join(", "),
          ],
          ["OS images", params.osImages.length === 0 ? "none yet" : params.osImages.join(", ")],
          ["transaction", receipt.transactionHash],
        ],
      );
    });

  model
    .command("allow-compose")
    .description(
      "Allow (or with --disallow, refuse) a dstack compose hash for a model's runners. Curator only",
    )
    .argument("<model-id>")
    .argument("<compose-hash>")
    .option("--disallow", "remove the compose hash from the allowlist")
    .action(async (modelIdText: string, hashText: string, _options: object, command: Command) => {
      const options = optionsOf<{ disallow?: boolean }>(command);
      const out = outputOf(io, command);
      const modelId = parseBytes32(modelIdText, "model id");
      const composeHash = parseBytes32(hashText, "compose hash");
      const ctx = await connectWallet(io, options);
      const allowed = options.disallow !== true;
      const receipt = await ctx.send("setComposeHashAllowed", () =>
        setComposeHashAllowed(ctx.walletClient, { contracts: ctx.contracts, modelId, composeHash, allowed }),
      );
      out.result(
        { modelId, composeHash, allowed, transaction: receipt.transactionHash },
        `${allowed ? "Allowed" : "Disallowed"} compose hash ${composeHash} for model ${modelId}.`,
      );
    });

  model
    .command("allow-os")
    .description(
      "Allow (or with --disallow, refuse) an OS image for a model's runners: SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) " +
        "of their quotes (`teetee dev-tee` prints the development TEE's). Curator only",
    )
    .argument("<model-id>")
    .argument("<os-image>")
    .option("--disallow", "remove the OS image from the allowlist; its runners become unroutable")
    .action(async (modelIdText: string, osImageText: string, _options: object, command: Command) => {
      const options = optionsOf<{ disallow?: boolean }>(command);
      const out = outputOf(io, command);
      const modelId = parseBytes32(modelIdText, "model id");
      const osImage = parseBytes32(osImageText, "OS image");
      const ctx = await connectWallet(io, options);
      const allowed = options.disallow !== true;
      const receipt = await ctx.send("setOsImageAllowed", () =>
        setOsImageAllowed(ctx.walletClient, { contracts: ctx.contracts, modelId, osImage, allowed }),
      );
      out.result(
        { modelId, osImage, allowed, transaction: receipt.transactionHash },
        `${allowed ? "Allowed" : "Disallowed"} OS image ${osImage} for model ${modelId}.`,
      );
    });

  model
    .command("prices")
    .description("Show a model's prices, or set them (curator only) with --input and --output")
    .argument("<model-id>")
    .option("--input <tokens>", "new price of one million input tokens")
    .option("--output <tokens>", "new price of one million output tokens")
    .action(async (modelIdText: string, _options: object, command: Command) => {
      const options = optionsOf<{ input?: string; output?: string }>(command);
      const out = outputOf(io, command);
      const modelId = parseBytes32(modelIdText, "model id");
      if ((options.input === undefined) !== (options.output === undefined)) {
        throw usageError("Pass both --input and --output to change prices, or neither to show them.");
      }
      let transaction: Hex | undefined;
      let ctx = await connect(io, options);
      if (options.input !== undefined && options.output !== undefined) {
        const wallet = await connectWallet(io, options);
        const input = parseAmount(options.input, wallet.token.decimals, "input price");
        const output = parseAmount(options.output, wallet.token.decimals, "output price");
        const receipt = await wallet.send("setPrices", () =>
          setPrices(wallet.walletClient, {
            contracts: wallet.contracts,
            modelId,
            inputPricePerMTok: input,
            outputPricePerMTok: output,
          }),
        );
        transaction = receipt.transactionHash;
        ctx = wallet;
      }
      const record = await getModel(ctx.publicClient, { contracts: ctx.contracts, modelId });
      const { decimals, symbol } = ctx.token;
      out.result(
        {
          modelId,
          inputPricePerMTok: record.inputPricePerMTok,
          outputPricePerMTok: record.outputPricePerMTok,
          ...(transaction === undefined ? {} : { transaction }),
        },
        [
          ["model", modelId],
          ["input / 1M tokens", formatAmount(record.inputPricePerMTok, decimals, symbol)],
          ["output / 1M tokens", formatAmount(record.outputPricePerMTok, decimals, symbol)],
          ...(transaction === undefined ? [] : [["transaction", transaction] as const]),
        ],
      );
    });
}

async function inspectOnChain(io: CliIo, command: Command, modelId: Hex): Promise<void> {
  const options = optionsOf(command);
  const out = outputOf(io, command);
  const ctx = await connect(io, options);
  const target = { contracts: ctx.contracts };
  const record = await getModel(ctx.publicClient, { ...target, modelId });
  const shards = [];
  for (let index = 0; index < record.shardCount; index++) {
    const shard = await getShard(ctx.publicClient, { ...target, modelId, shardIndex: BigInt(index) });
    const { runners } = await getRunners(ctx.publicClient, { ...target, modelId, shardIndex: index });
    shards.push({ index, ...shard, activeRunners: runners.filter((r) => r.info.active).length });
  }
  const { composeHashes, osImages } = await getModelAllowlists(ctx.publicClient, {
    ...target,
    modelId,
    fromBlock: BigInt(ctx.deployment.startBlock),
  });
  const list = (values: readonly Hex[]) => (values.length === 0 ? "none" : values.join(", "));
  const { decimals, symbol } = ctx.token;
  out.result({ modelId, ...record, composeHashes, osImages, shards }, [
    ["model id", modelId],
    ["curator", record.curator],
    ["active", record.active],
    ["layers", record.numLayers],
    ["input / 1M tokens", formatAmount(record.inputPricePerMTok, decimals, symbol)],
    ["output / 1M tokens", formatAmount(record.outputPricePerMTok, decimals, symbol)],
    ["min stake", formatAmount(record.minStake, decimals, symbol)],
    ["attestation TTL", `${record.attestationTtl} s`],
    ["compose hashes", list(composeHashes)],
    ["OS images", list(osImages)],
    ...shards.map(
      (s) =>
        [
          `shard ${s.index}`,
          `layers [${s.firstLayer}, ${s.endLayer}) share ${s.shareBps} bps, ${s.activeRunners} active runner(s), weights ${s.weightsHash}`,
        ] as const,
    ),
  ]);
}

function summaryOfShard(s: Manifest["shards"][number]) {
  return {
    index: s.index,
    layerStart: s.layerStart,
    layerEnd: s.layerEnd,
    weightsHash: s.weightsHash,
    bytes: s.files.reduce((n, f) => n + f.bytes, 0),
  };
}

function describeShard(s: Manifest["shards"][number]): string {
  const mb = s.files.reduce((n, f) => n + f.bytes, 0) / 1e6;
  return `layers [${s.layerStart}, ${s.layerEnd}) ${mb.toFixed(1)} MB weights ${s.weightsHash}`;
}
