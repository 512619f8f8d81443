import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe } from "@teetee/errors";
import { loadManifest, modelIdOf, Sampler, ShardSession } from "@teetee/inference";
import {
  type AuditEvidence,
  activationError,
  checkAuditEvidence,
  type EvidencePayload,
  evidenceRows,
  hiddenEvidence,
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

/** What the shard's own weights give for the evidence's inputs, frame by frame, sampling as the last runner did. */
export async function replayWithWeights(
  evidence: AuditEvidence,
  modelDir: string,
): Promise<EvidencePayload[]> {
  const manifest = await loadManifest(modelDir);
  if (modelIdOf(manifest).toLowerCase() !== evidence.modelId.toLowerCase()) {
    throw usageError(
      `The folder holds model ${modelIdOf(manifest)}, the evidence is about ${evidence.modelId}.`,
      "Point --model-dir at the model's shard folder.",
    );
  }
  // verify: the files are hashed against the manifest, so the replay runs exactly the registered weights.
  const shard = await ShardSession.create({ dir: modelDir, shardIndex: evidence.shardIndex, manifest });
  try {
    const sampler = new Sampler(evidence.sampling);
    const outputs: EvidencePayload[] = [];
    for (const frame of evidence.frames) {
      const input =
        frame.input.type === "tokens"
          ? { inputIds: frame.input.tokenIds }
          : { hiddenStates: evidenceRows(frame.input) };
      const out = await shard.forward({ sessionId: "audit", ...input, logits: "last" });
      if (out.logits !== undefined) {
        outputs.push(
          frame.skipSample
            ? { type: "empty" }
            : { type: "sample", tokenId: sampler.sample(out.logits, out.cachedLength) },
        );
      } else {
        outputs.push(hiddenEvidence(out.hiddenStates!, manifest.config.hiddenSize));
      }
    }
    return outputs;
  } finally {
    await shard.release();
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
      const local = await replayWithWeights(evidence, resolve(io.cwd, options.modelDir));
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
