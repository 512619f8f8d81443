import type { AppConfig } from "../config/appConfig.js";

/** Paths of a runner's HTTP surface the app reads. */
export type RunnerPath = "/v1/attestation" | "/healthz" | "/v1/registration";

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
