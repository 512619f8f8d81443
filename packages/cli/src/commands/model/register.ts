import { defaultShares, modelIdOf, modelParamsOf } from "@teetee/inference";
import { getProtocolFeeBps, registerModel } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf, parseBytes32, parseInteger } from "../../lib/command.js";
import { connectWallet } from "../../lib/context.js";
import { usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";
import { manifestAt } from "../../lib/manifest.js";
import { parseAmount, parseDuration } from "../../lib/units.js";

function parseShares(value: string, count: number): number[] {
  const shares = value.split(",").map((part) => parseInteger(part.trim(), "share (basis points)", 0, 10_000));
  if (shares.length !== count)
    throw usageError(`--shares lists ${shares.length} shares; the model has ${count} shards.`);
  return shares;
}

export function registerModelRegister(parent: Command, io: CliIo): void {
  parent
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
      const params = modelParamsOf(manifest, {
        inputPricePerMTok: parseAmount(options.inputPrice, decimals, "input price"),
        outputPricePerMTok: parseAmount(options.outputPrice, decimals, "output price"),
        minStake: parseAmount(options.minStake, decimals, "minimum stake"),
        attestationTtl: parseDuration(options.ttl, "attestation TTL"),
        shareBps: shares,
        composeHashes: (options.composeHash ?? []).map((h) => parseBytes32(h, "compose hash")),
        osImages: (options.osImage ?? []).map((h) => parseBytes32(h, "OS image")),
      });
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
}
