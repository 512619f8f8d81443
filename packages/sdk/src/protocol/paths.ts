/** Where a runner takes frames: `POST {endpoint}/v1/frames`. */
export const FRAMES_PATH = "/v1/frames";
/** Where a runner publishes its attestation document: `GET {endpoint}/v1/attestation`. */
export const ATTESTATION_PATH = "/v1/attestation";
/** The runner key's signed consent to be registered (or refreshed) by its configured contributor. */
export const REGISTRATION_PATH = "/v1/registration";
/** A runner's public load (its batch scheduler): `GET {endpoint}/v1/load`, a `RunnerLoad` document. */
export const LOAD_PATH = "/v1/load";
export const HEALTH_PATH = "/healthz";
export const METRICS_PATH = "/metrics";

/** A sealed envelope (ECDH + HKDF + AES-256-GCM) around a frame: the only form real runners accept. */
export const ENVELOPE_CONTENT_TYPE = "application/vnd.teetee.envelope";
/**
 * A bare, unencrypted frame. Runners accept it only when started with plaintext frames allowed, which they
 * refuse off a local chain: it exists to measure what encryption costs, never to serve buyers.
 */
export const PLAIN_FRAME_CONTENT_TYPE = "application/vnd.teetee.frame";

/** Joins a runner endpoint (its base URL, as registered on-chain) and a path. */
export function runnerUrl(endpoint: string, path: string): string {
  return `${endpoint.replace(/\/+$/, "")}${path}`;
}
