import { describe } from "@teetee/errors";
import { verifyRegisteredRunner } from "@teetee/sdk/attestation";
import { fetchRunnerAttestation, type RunnerAttestationDocument } from "@teetee/sdk/protocol";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../lib/command.js";
import { type ChainContext, connect } from "../lib/context.js";
import { CliError, ExitCode } from "../lib/errors.js";
import type { CliIo } from "../lib/io.js";
import { formatTime } from "../lib/units.js";

async function fetchDocument(url: string): Promise<RunnerAttestationDocument> {
  try {
    return await fetchRunnerAttestation(url);
  } catch (cause) {
    throw new CliError(describe(cause), {
      exitCode: ExitCode.network,
      cause,
      hint: "Is the runner running at that URL?",
    });
  }
}

/** Verifies the runner at `url` against the chain `ctx` is connected to (`verifyRegisteredRunner`). */
export async function verifyRunner(ctx: ChainContext, url: string) {
  const document = await fetchDocument(url);
  return verifyRegisteredRunner(ctx.publicClient, {
    chainId: ctx.chain.id,
    contracts: ctx.contracts,
    document,
  });
}

const marks = { pass: "✓", fail: "✗", skip: "-" } as const;

export function registerVerify(program: Command, io: CliIo): void {
  program
    .command("verify")
    .description("Fetch a runner's attestation and verify it against the chain, printing every check")
    .argument("<runner-url>", "the runner's endpoint, e.g. http://127.0.0.1:7001")
    .action(async (url: string, _options: object, command: Command) => {
      const options = optionsOf(command);
      const out = outputOf(io, command);
      const ctx = await connect(io, options);
      const result = await verifyRunner(ctx, url);
      const lines = result.checks.map((c) => `${marks[c.status]} ${c.title}: ${c.detail}`);
      const expiry =
        result.expiresAt === undefined ? "" : ` (valid until ${formatTime(Math.floor(result.expiresAt))})`;
      out.result(
        result,
        [
          `Runner ${result.runner} at ${url} (${result.kind} quote)`,
          ...lines,
          ...(result.osImage === undefined ? [] : [`OS image (MRTD, RTMR0-2): ${result.osImage}`]),
          result.ok ? `VERIFIED${expiry}` : "NOT VERIFIED",
        ].join("\n"),
      );
      if (!result.ok) {
        throw new CliError(`The attestation of ${result.runner} failed verification.`, {
          exitCode: ExitCode.verification,
        });
      }
    });
}
