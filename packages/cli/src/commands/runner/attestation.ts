import { describe } from "@teetee/errors";
import { quoteOsImage } from "@teetee/sdk/attestation";
import { fetchRunnerAttestation, runnerUrl } from "@teetee/sdk/protocol";
import type { Command } from "commander";
import type { Hex } from "viem";
import { outputOf } from "../../lib/command.js";
import { CliError, ExitCode } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";

/** The quote's SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2), what `model allow-os` takes; read from the quote itself. */
function osImageOf(quote: Hex): string {
  try {
    return quoteOsImage(quote);
  } catch {
    return "none: the quote carries no TD report";
  }
}

export function registerRunnerAttestation(parent: Command, io: CliIo): void {
  parent
    .command("attestation")
    .description(
      "Print a runner's published attestation document (without verifying it: see `teetee verify`)",
    )
    .argument("<runner-url>")
    .action(async (url: string, _options: object, command: Command) => {
      const out = outputOf(io, command);
      const doc = await fetchRunnerAttestation(url).catch((cause: unknown) => {
        throw new CliError(describe(cause), {
          exitCode: ExitCode.network,
          cause,
        });
      });
      out.result({ ...doc, manifest: undefined }, [
        ["runner", doc.runner],
        ["model", doc.modelId],
        ["shard", doc.shardIndex],
        ["weights hash", doc.weightsHash],
        ["chain", doc.chainId],
        ["registry", doc.runnerRegistry],
        ["compose hash (claimed)", doc.composeHash ?? "not given"],
        ["OS image (of the quote)", osImageOf(doc.quote)],
        ["quote hash", doc.quoteHash],
        ["quote", `${(doc.quote.length - 2) / 2} bytes`],
        ["document", runnerUrl(url, "/v1/attestation")],
      ]);
    });
}
