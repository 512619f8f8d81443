import { getEarnings } from "@teetee/sdk/contracts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { connect } from "../lib/context.js";
import type { CliIo } from "../lib/io.js";
import { formatAmount } from "../lib/units.js";
import { subjectAddress } from "../lib/wallet.js";

export function registerEarnings(program: Command, io: CliIo): void {
  program
    .command("earnings")
    .description("Contributors: earnings credited to you and not yet withdrawn")
    .option("--address <address>", "whose earnings (default: the configured key's account)")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{ address?: string }>(command);
      const out = outputOf(io, command);
      const contributor = await subjectAddress(io, options);
      const ctx = await connect(io, options);
      const earnings = await getEarnings(ctx.publicClient, { contracts: ctx.contracts, contributor });
      out.result({ contributor, earnings }, [
        ["contributor", contributor],
        ["earnings", formatAmount(earnings, ctx.token.decimals, ctx.token.symbol)],
      ]);
    });
}
