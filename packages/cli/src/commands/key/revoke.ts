import { getSessionSigner, revokeSigner } from "@teetee/sdk/contracts";
import { parseApiKey } from "@teetee/sdk/payments";
import type { Command } from "commander";
import type { Address } from "viem";
import { optionsOf, outputOf, parseAddress } from "../../lib/command.js";
import { connectWallet } from "../../lib/context.js";
import type { CliIo } from "../../lib/io.js";
import { formatTime } from "../../lib/units.js";

export function registerKeyRevoke(parent: Command, io: CliIo): void {
  parent
    .command("revoke")
    .description("Revoke an API key; it stops working after the thaw period, so served requests can settle")
    .argument("<signer-or-api-key>", "the signer's address or the API key itself")
    .action(async (target: string, _options: object, command: Command) => {
      const out = outputOf(io, command);
      const signer: Address = target.startsWith("tt_")
        ? parseApiKey(target).signer.address
        : parseAddress(target, "signer");
      const ctx = await connectWallet(io, optionsOf(command));
      const receipt = await ctx.send("revokeSigner", () =>
        revokeSigner(ctx.walletClient, { contracts: ctx.contracts, signer }),
      );
      const after = await getSessionSigner(ctx.publicClient, {
        contracts: ctx.contracts,
        buyer: ctx.account.address,
        signer,
      });
      out.result({ signer, validUntil: after.validUntil, transaction: receipt.transactionHash }, [
        ["revoked", signer],
        ["stops working at", formatTime(after.validUntil)],
      ]);
    });
}
