import { parseRunnerLoad, type RunnerLoad } from "@teetee/sdk/protocol";
import type { AppConfig } from "../config/appConfig.js";

/** Paths of a runner's HTTP surface the app reads. */
export type RunnerPath = "/v1/attestation" | "/healthz" | "/v1/registration" | "/v1/load";

/** The URL the browser uses for a runner path: through the app server's proxy when it has one (runners send no CORS headers). */
export function runnerUrl(config: AppConfig, endpoint: string, path: RunnerPath): string {
  const base = endpoint.replace(/\/+$/, "");
  if (config.runnerProxy === null) return `${base}${path}`;
  return `${config.runnerProxy}?endpoint=${encodeURIComponent(base)}&path=${encodeURIComponent(path)}`;
}

export type Health = { ok: true; latencyMs: number } | { ok: false; error: string };

/** GET /healthz with its round-trip time. */
export async function probeHealth(config: AppConfig, endpoint: string, timeoutMs = 4000): Promise<Health> {
  const started = performance.now();
  try {
    const response = await fetch(runnerUrl(config, endpoint, "/healthz"), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return { ok: false, error: `HTTP ${response.status}` };
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch {
    return { ok: false, error: "unreachable" };
  }
}

/** A runner's batch scheduler load (`GET /v1/load`), or undefined when it does not answer one (older runner, offline). */
export async function fetchLoad(
  config: AppConfig,
  endpoint: string,
  timeoutMs = 4000,
): Promise<RunnerLoad | undefined> {
  try {
    const response = await fetch(runnerUrl(config, endpoint, "/v1/load"), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return undefined;
    return parseRunnerLoad(await response.json());
  } catch {
    return undefined;
  }
}
