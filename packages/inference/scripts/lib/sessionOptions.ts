import * as ort from "onnxruntime-node";

/**
 * onnxruntime session options a benchmark may lay over `ShardSession`'s own, by name. `ShardSession.create` takes
 * no session options, so `withSessionOptions` wraps `ort.InferenceSession.create` (the one onnxruntime-node module
 * instance every importer shares) while a decoder is being loaded: a measuring device for benchmarks, not a way to
 * configure production sessions.
 */
export const SESSION_VARIANTS = {
  default: {},
  "no-cpu-arena": { enableCpuMemArena: false },
  "no-mem-pattern": { enableMemPattern: false },
  "opt-basic": { graphOptimizationLevel: "basic" },
  "initializers-device-allocator": {
    extra: { session: { use_device_allocator_for_initializers: "1" } },
  },
  "no-prepacking": { extra: { session: { disable_prepacking: "1" } } },
  "no-cpu-arena+no-prepacking": {
    enableCpuMemArena: false,
    extra: { session: { disable_prepacking: "1" } },
  },
} as const satisfies Record<string, ort.InferenceSession.SessionOptions>;

export type SessionVariant = keyof typeof SESSION_VARIANTS;
export const SESSION_VARIANT_NAMES = Object.keys(SESSION_VARIANTS) as SessionVariant[];

export function isSessionVariant(name: string): name is SessionVariant {
  return name in SESSION_VARIANTS;
}

/**
 * Runs `load` with every `InferenceSession.create` call's options overlaid by `variant`'s (`extra` merged one
 * level deep, so `ShardSession`'s thread-spinning settings stay), then restores `create`. Loads must not overlap.
 */
export async function withSessionOptions<T>(variant: SessionVariant, load: () => Promise<T>): Promise<T> {
  const overlay: ort.InferenceSession.SessionOptions = SESSION_VARIANTS[variant];
  type Create = (path: unknown, options?: ort.InferenceSession.SessionOptions) => Promise<unknown>;
  const factory = ort.InferenceSession as unknown as { create: Create };
  const original = factory.create;
  factory.create = (path, options) =>
    original.call(ort.InferenceSession, path, merge(options ?? {}, overlay));
  try {
    return await load();
  } finally {
    factory.create = original;
  }
}

function merge(
  base: ort.InferenceSession.SessionOptions,
  overlay: ort.InferenceSession.SessionOptions,
): ort.InferenceSession.SessionOptions {
  const extra: Record<string, unknown> = { ...(base.extra ?? {}) };
  for (const [key, value] of Object.entries((overlay.extra ?? {}) as Record<string, object>)) {
    const inner = extra[key];
    extra[key] = typeof inner === "object" && inner !== null ? { ...inner, ...value } : value;
  }
  return { ...base, ...overlay, extra };
}
