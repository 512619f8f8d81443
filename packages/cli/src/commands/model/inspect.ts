import { modelIdOf } from "@teetee/inference";
import { getModel, getModelAllowlists, getRunners, getShard } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import type { Hex } from "viem";
import { optionsOf, outputOf } from "../../lib/command.js";
import { connect } from "../../lib/context.js";
import type { CliIo } from "../../lib/io.js";
import { describeShard, manifestAt, summaryOfShard } from "../../lib/manifest.js";
import { formatAmount } from "../../lib/units.js";

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

export function registerModelInspect(parent: Command, io: CliIo): void {
  parent
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
}
