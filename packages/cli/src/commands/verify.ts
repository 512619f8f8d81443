import { describe } from "@teetee/errors";
import { verifyRunnerAttestation } from "@teetee/sdk/attestation";
import {
  getModel,
  getRunner,
  getShard,
  isComposeHashAllowed,
  isLocalChainId,
  isOsImageAllowed,
} from "@teetee/sdk/contracts";
import { fetchRunnerAttestation, type RunnerAttestationDocument } from "@teetee/sdk/protocol";
import type { Command } from "commander";
import { type Hex, isAddressEqual } from "viem";
import { optionsOf, outputOf } from "../lib/command.js";
import { type ChainContext, connect } from "../lib/context.js";
import { CliError, ExitCode } from "../lib/errors.js";
import type { CliIo } from "../lib/io.js";
import { formatTime } from "../lib/units.js";

type Check = { id: string; title: string; status: "pass" | "fail" | "skip"; detail: string };

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

/** Verifies a runner's published attestation against its on-chain record and the model's allowlist and TTL. */
export async function verifyRunner(ctx: ChainContext, url: string) {
  const doc = await fetchDocument(url);
  const target = { contracts: ctx.contracts };
  const registryCheck: Check = {
    id: "registration",
    title: "Runner is registered and active on this chain",
    status: "pass",
    detail: "",
  };
  const runner = await getRunner(ctx.publicClient, { ...target, runner: doc.runner }).catch(() => undefined);
  const sameChain =
    doc.chainId === ctx.chain.id && isAddressEqual(doc.runnerRegistry, ctx.contracts.runnerRegistry);
  if (!sameChain) {
    registryCheck.status = "fail";
    registryCheck.detail = `the runner attests for chain ${doc.chainId} registry ${doc.runnerRegistry}`;
  } else if (runner === undefined) {
    registryCheck.status = "fail";
    registryCheck.detail = `${doc.runner} is not registered`;
  } else if (!runner.active) {
    registryCheck.status = "fail";
    registryCheck.detail = `${doc.runner} is deactivated`;
  } else if (runner.modelId !== doc.modelId || runner.shardIndex !== doc.shardIndex) {
    registryCheck.status = "fail";
    registryCheck.detail = `registered for shard ${runner.shardIndex} of ${runner.modelId}, claims shard ${doc.shardIndex} of ${doc.modelId}`;
  } else if (runner.publicKey.toLowerCase() !== doc.publicKey.toLowerCase()) {
    registryCheck.status = "fail";
    registryCheck.detail = "the published public key differs from the registered one";
  } else {
    registryCheck.detail = `shard ${runner.shardIndex} of ${runner.modelId}, contributor ${runner.contributor}`;
  }
  if (runner === undefined || registryCheck.status === "fail") {
    return { ok: false, runner: doc.runner, kind: "unknown", checks: [registryCheck], expiresAt: undefined };
  }
  const modelId = runner.modelId as Hex;
  const [model, shard] = await Promise.all([
    getModel(ctx.publicClient, { ...target, modelId }),
    getShard(ctx.publicClient, { ...target, modelId, shardIndex: BigInt(runner.shardIndex) }),
  ]);
  const verdict = await verifyRunnerAttestation({
    evidence: { quote: doc.quote, eventLog: doc.eventLog },
    registration: {
      chainId: ctx.chain.id,
      registry: ctx.contracts.runnerRegistry,
      modelId,
      shardIndex: runner.shardIndex,
      runner: doc.runner,
      weightsHash: shard.weightsHash,
      quoteHash: runner.quoteHash,
      attestedAt: runner.attestedAt,
      attestationTtl: model.attestationTtl,
      allowedComposeHashes: (composeHash: Hex) =>
        isComposeHashAllowed(ctx.publicClient, { ...target, modelId, composeHash }),
      allowedOsImages: (osImage: Hex) => isOsImageAllowed(ctx.publicClient, { ...target, modelId, osImage }),
    },
    policy: { allowDevQuotes: isLocalChainId(ctx.chain.id) },
  });
  const checks: Check[] = [
    registryCheck,
    ...verdict.checks.map(({ id, title, status, detail }) => ({ id, title, status, detail })),
  ];
  return {
    ok: verdict.ok,
    runner: doc.runner,
    kind: verdict.kind,
    checks,
    composeHash: verdict.composeHash,
    osImage: verdict.osImage,
    quoteHash: verdict.quoteHash,
    expiresAt: verdict.expiresAt,
  };
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
