import { z } from "zod";

const bytes = z.number().int().min(0);

/**
 * A runner's load as `GET {endpoint}/v1/load` publishes it (public, no secrets): what its batch scheduler holds and
 * how busy its shard is. The gateway may prefer less loaded replicas; the web app's explorer shows it per runner.
 */
export const runnerLoadSchema = z.object({
  /** Sessions (KV caches) the runner holds, and its limit. */
  sessions: z.number().int().min(0),
  maxSessions: z.number().int().min(0),
  /** Steps (frames' positions to compute) waiting for a batch, and their positions. */
  queuedSteps: z.number().int().min(0),
  queuedPositions: z.number().int().min(0),
  /** Sequences in the last batch the shard ran, and the scheduler's limit. */
  lastBatchSize: z.number().int().min(0),
  maxBatchSize: z.number().int().min(1),
  /** Positions per batch the scheduler allows (decode steps and prefill chunks together). */
  maxBatchPositions: z.number().int().min(1),
  /** Fraction of the last `windowSeconds` the shard spent computing, in [0, 1]. */
  utilization: z.number().min(0).max(1),
  windowSeconds: z.number().positive(),
  /**
   * KV memory in bytes: the sessions' caches as allocated, what admitted steps may still allocate (reserved at
   * admission), and their limit (allocated + reserved never exceeds it); the shared buffers batched decode steps
   * are gathered into, the most they have held at once, and their own limit (a lone step wider than the limit
   * passes it while it runs). Optional: runners before it do not publish it.
   */
  kv: z
    .object({
      allocatedBytes: bytes,
      reservedBytes: bytes,
      limitBytes: bytes,
      batchBufferBytes: bytes,
      batchBufferPeakBytes: bytes,
      batchLimitBytes: bytes,
    })
    .optional(),
});

export type RunnerLoad = z.infer<typeof runnerLoadSchema>;

/** Parses a `/v1/load` body; throws zod's error naming the field on anything else. */
export function parseRunnerLoad(json: unknown): RunnerLoad {
  return runnerLoadSchema.parse(json);
}
