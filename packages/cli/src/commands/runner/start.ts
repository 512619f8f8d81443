import type { Command } from "commander";
import { delegate } from "../../lib/delegate.js";
import type { CliIo } from "../../lib/io.js";

export function registerRunnerStart(parent: Command, io: CliIo): void {
  parent
    .command("start")
    .description(
      "Run one shard's runner on this machine (flags are passed to the runner; see `runner start -- --help`)",
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (_options: object, command: Command) => delegate(io, "runner", command));
}
