import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isSessionVariant, type SessionVariant } from "./sessionOptions.js";

/** Where `pnpm bench:bigshape` keeps the tinyllama-1.1b checkpoint and its int4 shards (git-ignored). */
export const modelsDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../.models");
export const modelDir = join(modelsDir, "tinyllama-1.1b");
export const WEIGHTS = { format: "int4", blockSize: 32 } as const;

export function shardDir(shards: number): string {
  return join(modelsDir, `tinyllama-1.1b-int4-x${shards}`);
}

/** A decoder to load: the int4 model in `shards` shards, its sessions created under a session-option variant. */
export type DecoderSpec = { shards: number; variant: SessionVariant };

/** `int4-x4`, or `int4-x1@no-cpu-arena` for a variant other than the default. */
export function specKey({ shards, variant }: DecoderSpec): string {
  return `int4-x${shards}${variant === "default" ? "" : `@${variant}`}`;
}

export function parseSpec(key: string): DecoderSpec {
  const match = /^int4-x(\d+)(?:@(.+))?$/.exec(key);
  const variant = match?.[2] ?? "default";
  if (!match || !isSessionVariant(variant)) throw new Error(`bad decoder spec ${key}`);
  return { shards: Number(match[1]), variant };
}
