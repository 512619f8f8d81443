import { setComposeHashAllowed } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf, parseBytes32 } from "../../lib/command.js";
import { connectWallet } from "../../lib/context.js";
import type { CliIo } from "../../lib/io.js";

export function registerModelAllowCompose(parent: Command, io: CliIo): void {
  parent
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
}
