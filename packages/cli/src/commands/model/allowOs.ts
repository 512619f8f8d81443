import { setOsImageAllowed } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf, parseBytes32 } from "../../lib/command.js";
import { connectWallet } from "../../lib/context.js";
import type { CliIo } from "../../lib/io.js";

export function registerModelAllowOs(parent: Command, io: CliIo): void {
  parent
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
}
