import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe } from "@teetee/errors";
import { EvidenceModelMismatchError, replayWithWeights } from "@teetee/gateway";
import {
  type AuditEvidence,
  activationError,
  checkAuditEvidence,
  type EvidencePayload,
  parseAuditEvidence,
} from "@teetee/sdk/receipts";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../../lib/command.js";
import { CliError, ExitCode, usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";

type AuditCheckOptions = { modelDir: string; tolerance?: string };

function readEvidence(io: CliIo, file: string): AuditEvidence {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(resolve(io.cwd, file), "utf8"));
  } catch (cause) {
    throw usageError(`Cannot read ${file} as JSON: ${describe(cause)}`);
  }
  try {
    return parseAuditEvidence(json, file);
  } catch (cause) {
    throw new CliError(describe(cause), { exitCode: ExitCode.usage, cause });
  }
}

/** The replay of `@teetee/gateway` (its auditor judges by the same one); a folder of another model is a usage error. */
async function replay(evidence: AuditEvidence, modelDir: string): Promise<EvidencePayload[]> {
  try {
    return await replayWithWeights(evidence, modelDir);
  } catch (error) {
    if (error instanceof EvidenceModelMismatchError)
      throw usageError(error.shortMessage, "Point --model-dir at the model's shard folder.");
    throw error;
  }
}

export function registerAuditCheck(parent: Command, io: CliIo): void {
  parent
    .command("check")
    .description(
      "Recheck an auditor's evidence offline: both receipts bind their runners to the outputs, and the shard's weights say which runner diverged",
    )
    .argument("<evidence>", "the evidence bundle (JSON) the auditor wrote")
    .requiredOption("--model-dir <dir>", "the model's shard folder (manifest.json and the shard's files)")
    .option("--tolerance <x>", "largest activation difference over the row's RMS (default: the evidence's)")
    .action(async (file: string, _options: object, command: Command) => {
      const options = optionsOf<AuditCheckOptions>(command);
      const out = outputOf(io, command);
      const evidence = readEvidence(io, file);
      const tolerance = options.tolerance === undefined ? evidence.tolerance : Number(options.tolerance);
      if (!(tolerance > 0))
        throw usageError(`--tolerance must be a positive number, got ${options.tolerance}`);
      const bound = await checkAuditEvidence(evidence);
      const local = await replay(evidence, resolve(io.cwd, options.modelDir));
      const worst = (side: "audited" | "replica") =>
        Math.max(...evidence.frames.map((frame, i) => activationError(frame[side], local[i]!)));
      const audited = worst("audited");
      const replica = worst("replica");
      const auditedRight = audited <= tolerance;
      const replicaRight = replica <= tolerance;
      const cheater =
        bound.bound && auditedRight !== replicaRight
          ? auditedRight
            ? bound.replicaSigner
            : bound.auditedSigner
          : undefined;
      const verdict =
        cheater !== undefined
          ? `runner ${cheater} did not compute shard ${evidence.shardIndex} with its weights`
          : !bound.bound
            ? "the evidence does not hold together"
            : auditedRight
              ? "both runners agree with the weights: no divergence"
              : "neither runner agrees with the weights";
      out.result(
        {
          bound: bound.bound,
          problems: bound.problems,
          auditedError: audited,
          replicaError: replica,
          tolerance,
          cheater,
          verdict,
        },
        [
          `${bound.bound ? "✓" : "✗"} Both receipts commit to these frames${bound.bound ? "" : `: ${bound.problems.join("; ")}`}`,
          `${auditedRight ? "✓" : "✗"} Audited runner ${bound.auditedSigner} vs the weights: ${audited.toExponential(2)}`,
          `${replicaRight ? "✓" : "✗"} Replica ${bound.replicaSigner} vs the weights: ${replica.toExponential(2)}`,
          `tolerance ${tolerance}: ${verdict}`,
        ].join("\n"),
      );
      if (cheater === undefined) {
        throw new CliError(`The evidence in ${file} does not show a divergence: ${verdict}.`, {
          exitCode: ExitCode.verification,
        });
      }
    });
}
