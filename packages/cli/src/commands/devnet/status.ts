import { resolve } from "node:path";
import { liveHolder, readDevnetState, type ServiceKind, type ServiceRecord } from "@teetee/devnet";
import type { Command } from "commander";
import { optionsOf, outputOf } from "../../lib/command.js";
import { CliError, ExitCode } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";

const PROBE_TIMEOUT_MS = 2_000;

/** The request each kind of service answers when it is up. */
function probeRequest(kind: ServiceKind, url: string): [string, RequestInit] {
  const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  if (kind === "chain") {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    return [url, { method: "POST", headers: { "content-type": "application/json" }, body, signal }];
  }
  const path = { runner: "/v1/attestation", gateway: "/healthz", web: "/" }[kind];
  return [new URL(path, url).href, { signal }];
}

async function answers(service: ServiceRecord): Promise<boolean> {
  try {
    const response = await fetch(...probeRequest(service.kind, service.url));
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export function registerDevnetStatus(parent: Command, io: CliIo): void {
  parent
    .command("status")
    .description("Print the local network's summary again and which of its services still answer")
    .option("--out <dir>", "the network's output folder (as given to pnpm start)", ".teetee/devnet")
    .action(async (_options: object, command: Command) => {
      const folder = resolve(io.cwd, optionsOf<{ out: string }>(command).out);
      const state = readDevnetState(folder);
      if (state === undefined) {
        throw new CliError(`No local network has run in ${folder} (it has no devnet.json).`, {
          exitCode: ExitCode.config,
          hint: "Start one with `pnpm start`, or name its folder with --out DIR.",
        });
      }
      const holder = liveHolder(folder);
      const running = holder?.pid === state.pid;
      const services = await Promise.all(
        state.services.map(async (s) => ({ ...s, answers: await answers(s) })),
      );
      const width = Math.max(...services.map((s) => s.name.length));
      const urlWidth = Math.max(...services.map((s) => s.url.length));
      outputOf(io, command).result({ folder, running, ...state, services }, [
        [
          "network",
          running ? `running (pnpm start, pid ${state.pid})` : `stopped (pid ${state.pid} is gone)`,
        ],
        ["started", state.startedAt],
        ["gateway", `${state.gatewayUrl}/v1 (OpenAI-compatible, model ${state.model})`],
        ["web app", state.webUrl],
        ["chain RPC", state.rpcUrl],
        ["API key", state.apiKey],
        ["environment", `set -a; . ${state.envFile}; set +a`],
        ["logs", state.logDir],
        [
          "services",
          `\n${services
            .map(
              (s) =>
                `  ${s.name.padEnd(width)}  ${s.url.padEnd(urlWidth)}  ${s.answers ? "answers" : "not answering"}`,
            )
            .join("\n")}`,
        ],
      ]);
      if (!running)
        throw new CliError(`The local network in ${folder} is not running.`, { exitCode: ExitCode.network });
    });
}
