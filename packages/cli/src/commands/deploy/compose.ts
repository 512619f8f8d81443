import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Deployment, parseDeployment } from "@teetee/contracts/deployments";
import { runnerAppCompose, runnerComposeHash } from "@teetee/runner/composeHash";
import type { Command } from "commander";
import { optionsOf, outputOf, parseBytes32, parseInteger } from "../../lib/command.js";
import { configError, usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";
import { repoRoot } from "../../lib/spawnPackage.js";

const imageVariable = /\$\{TEETEE_RUNNER_IMAGE:-[^}]*\}/;
const pinnedImage = /^[a-z0-9][a-z0-9._\-/:]*@sha256:[0-9a-f]{64}$/;

export type RunnerComposeParameters = {
  /** The docker-compose.yml template (deploy/docker-compose.yml). */
  template: string;
  /** The runner image, pinned by digest: the compose hash covers it, so a tag could change under it. */
  image: string;
  name: string;
};

/** The docker-compose.yml and app-compose.json of a runner CVM, and the compose hash dstack will measure. */
export function runnerCompose(params: RunnerComposeParameters) {
  if (!pinnedImage.test(params.image)) {
    throw usageError(
      `The image "${params.image}" is not pinned by digest.`,
      "Pass --image <registry>/<name>@sha256:<64 hex digits> (docker inspect --format '{{index .RepoDigests 0}}' <image>).",
    );
  }
  if (!imageVariable.test(params.template)) {
    throw configError("The compose template has no image variable (TEETEE_RUNNER_IMAGE) to fill in.");
  }
  const dockerCompose = params.template.replace(imageVariable, params.image);
  const appCompose = runnerAppCompose({ dockerCompose, name: params.name });
  return { dockerCompose, appCompose, composeHash: runnerComposeHash(appCompose) };
}

async function readDeployment(io: CliIo, file: string | undefined): Promise<Deployment | undefined> {
  const path = file ?? io.env["TEETEE_DEPLOYMENT"];
  if (path === undefined) return undefined;
  try {
    return parseDeployment(JSON.parse(await readFile(resolve(io.cwd, path), "utf8")), path);
  } catch {
    throw configError(`Cannot read the deployment ${path}.`);
  }
}

/** The CVM's encrypted environment, to paste into Phala Cloud (values the operator must fill end in `<…>`). */
function cvmEnvironment(shard: number, rpcUrl: string | undefined, deployment: Deployment | undefined) {
  return [
    `TEETEE_SHARD_INDEX=${shard}`,
    "TEETEE_PUBLIC_URL=<the CVM's public URL for port 8080>",
    `TEETEE_RPC_URL=${rpcUrl ?? "<your chain's JSON-RPC URL>"}`,
    `TEETEE_RUNNER_REGISTRY=${deployment?.runnerRegistry ?? "<RunnerRegistry address>"}`,
    `TEETEE_MODEL_REGISTRY=${deployment?.modelRegistry ?? "<ModelRegistry address>"}`,
    "TEETEE_CONTRIBUTOR=<your contributor address>",
  ];
}

export function registerDeployCompose(parent: Command, io: CliIo): void {
  parent
    .command("compose")
    .description(
      "Write the dstack docker-compose.yml and app-compose.json of one shard's runner and print its compose hash",
    )
    .requiredOption("--image <ref>", "the runner image pinned by digest: <registry>/<name>@sha256:<digest>")
    .requiredOption("--shard <n>", "the shard this CVM serves (set in its environment, not measured)")
    .option("--model <id>", "the model id, to print the curator's exact allow-compose command")
    .option(
      "--template <file>",
      "docker-compose template (default: deploy/docker-compose.yml of this repository)",
    )
    .option("--name <name>", "dstack app name", "teetee-runner")
    .option("--out <dir>", "where to write the files", "runner-cvm")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{
        image: string;
        shard: string;
        model?: string;
        template?: string;
        name: string;
        out: string;
      }>(command);
      const out = outputOf(io, command);
      const shard = parseInteger(options.shard, "shard", 0, 0xffff);
      const modelId = options.model === undefined ? undefined : parseBytes32(options.model, "model id");
      const templateFile =
        options.template === undefined
          ? join(repoRoot, "deploy/docker-compose.yml")
          : resolve(io.cwd, options.template);
      const template = await readFile(templateFile, "utf8").catch(() => {
        throw configError(`Cannot read the compose template ${templateFile}.`);
      });
      const compose = runnerCompose({ template, image: options.image, name: options.name });
      const deployment = await readDeployment(io, options.deployment);
      const dir = resolve(io.cwd, options.out);
      const files = {
        dockerCompose: join(dir, "docker-compose.yml"),
        appCompose: join(dir, "app-compose.json"),
        environment: join(dir, "cvm.env"),
      };
      const environment = cvmEnvironment(shard, options.rpcUrl ?? io.env["TEETEE_RPC_URL"], deployment);
      await mkdir(dir, { recursive: true });
      await writeFile(files.dockerCompose, compose.dockerCompose);
      await writeFile(files.appCompose, `${JSON.stringify(compose.appCompose, null, 2)}\n`);
      await writeFile(files.environment, `${environment.join("\n")}\n`, { mode: 0o600 });
      const allowCompose = `teetee model allow-compose ${modelId ?? "<model id>"} ${compose.composeHash}`;
      out.result(
        { composeHash: compose.composeHash, shard, image: options.image, files, allowCompose, environment },
        [
          ["compose hash", compose.composeHash],
          ["shard", shard],
          ["docker-compose.yml", files.dockerCompose],
          ["app-compose.json", files.appCompose],
          ["CVM environment", `${files.environment} (encrypted secrets in Phala Cloud; fill the <…> values)`],
          ["curator runs", allowCompose],
        ],
      );
    });
}
