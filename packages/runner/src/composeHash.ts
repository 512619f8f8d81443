import { type AppCompose, getComposeHash } from "@phala/dstack-sdk/get-compose-hash";
import type { Hex } from "viem";

export type RunnerAppComposeParameters = {
  /** The docker-compose.yml text, byte for byte (deploy/docker-compose.yml). */
  dockerCompose: string;
  name?: string;
  /** Environment variables the CVM may receive (encrypted); everything else is refused by dstack. */
  allowedEnvs?: readonly string[];
};

export const RUNNER_ALLOWED_ENVS = [
  "TEETEE_SHARD_INDEX",
  "TEETEE_PUBLIC_URL",
  "TEETEE_RPC_URL",
  "TEETEE_RUNNER_REGISTRY",
  "TEETEE_MODEL_REGISTRY",
  "TEETEE_CONTRIBUTOR",
  "TEETEE_CONTRIBUTOR_KEY",
] as const;

/**
 * The dstack app-compose.json of a runner CVM: KMS-backed keys (so `getKey` survives a restart), no public
 * logs or sysinfo (activations never reach logs anyway), and only the runner's own environment variables.
 */
export function runnerAppCompose(params: RunnerAppComposeParameters): AppCompose {
  return {
    manifest_version: 2,
    name: params.name ?? "teetee-runner",
    runner: "docker-compose",
    docker_compose_file: params.dockerCompose,
    kms_enabled: true,
    gateway_enabled: false,
    public_logs: false,
    public_sysinfo: false,
    public_tcbinfo: true,
    local_key_provider_enabled: false,
    allowed_envs: [...(params.allowedEnvs ?? RUNNER_ALLOWED_ENVS)],
    no_instance_id: false,
    secure_time: true,
  };
}

/** The compose hash dstack measures into RTMR3 for this app-compose (SHA-256 of its sorted-key JSON). */
export function runnerComposeHash(appCompose: AppCompose): Hex {
  return `0x${getComposeHash(appCompose)}`;
}
