import { createDevTee } from "@teetee/dev-tee";
import type { Command } from "commander";
import { optionsOf, outputOf, parseInteger } from "../lib/command.js";
import type { CliIo } from "../lib/io.js";

export function registerDevTee(program: Command, io: CliIo): void {
  program
    .command("dev-tee")
    .description(
      "Operators: serve a development dstack endpoint on 127.0.0.1 (dev quotes, local chains only)",
    )
    .option("--port <port>", "port (0 picks a free one)", "8090")
    .option("--compose-hash <hash>", "the compose hash the dev TEE reports measuring")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{ port: string; composeHash?: string }>(command);
      const out = outputOf(io, command);
      const tee = await createDevTee({
        port: parseInteger(options.port, "port", 0, 65_535),
        ...(options.composeHash === undefined ? {} : { composeHash: options.composeHash }),
      });
      out.result(
        {
          url: tee.url,
          composeHash: tee.identity.composeHash,
          osImage: tee.osImage,
          signerPublicKey: tee.signerPublicKey,
        },
        [
          ["dev-tee listening", `DSTACK_SIMULATOR_ENDPOINT=${tee.url}`],
          ["compose hash", tee.identity.composeHash],
          ["OS image", `${tee.osImage} (teetee model allow-os <model id> ${tee.osImage})`],
          ["dev quote signer", tee.signerPublicKey],
          ["stop with", "Ctrl-C"],
        ],
      );
      await io.untilStopped();
      await tee.close();
    });
}
