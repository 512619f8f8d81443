import type { Command } from "commander";
import { delegate } from "../../lib/delegate.js";
import type { CliIo } from "../../lib/io.js";

export function registerGatewayStart(parent: Command, io: CliIo): void {
  parent
    .command("start")
    .description(
      "Run a gateway on this machine (flags are passed to the gateway; see `gateway start -- --help`)",
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (_options: object, command: Command) => delegate(io, "gateway", command));
}
