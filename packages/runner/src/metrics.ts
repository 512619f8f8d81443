import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { BatchObservation } from "./BatchScheduler.js";

const latencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];

/** The runner's Prometheus metrics, on a registry of its own (several runners may share a process in tests). */
export function createRunnerMetrics() {
  const registry = new Registry();
  const labels = { registers: [registry] };
  return {
    registry,
    frames: new Counter({
      name: "teetee_runner_frames_total",
      help: "Frames served, by kind and HTTP status",
      labelNames: ["kind", "status"] as const,
      ...labels,
    }),
    positions: new Counter({
      name: "teetee_runner_positions_total",
      help: "Token positions run through this shard, by frame kind",
      labelNames: ["kind"] as const,
      ...labels,
    }),
    tokens: new Counter({
      name: "teetee_runner_tokens_sampled_total",
      help: "Tokens sampled (last shard only)",
      ...labels,
    }),
    compute: new Histogram({
      name: "teetee_runner_compute_seconds",
      help: "Shard forward time, by frame kind",
      labelNames: ["kind"] as const,
      buckets: latencyBuckets,
      ...labels,
    }),
    frameLatency: new Histogram({
      name: "teetee_runner_frame_seconds",
      help: "Time to answer a frame, downstream runners included",
      labelNames: ["kind"] as const,
      buckets: latencyBuckets,
      ...labels,
    }),
    nextHop: new Histogram({
      name: "teetee_runner_next_hop_seconds",
      help: "Time the next runner took to answer a forwarded frame",
      buckets: latencyBuckets,
      ...labels,
    }),
    receivedBytes: new Counter({
      name: "teetee_runner_received_bytes_total",
      help: "Frame bytes received (envelopes included)",
      ...labels,
    }),
    directResults: new Counter({
      name: "teetee_runner_direct_results_total",
      help: "Step results answered straight to the sender's await (last shard, forwarding topology)",
      ...labels,
    }),
    forwardedBytes: new Counter({
      name: "teetee_runner_forwarded_bytes_total",
      help: "Frame bytes sent to the next runner",
      ...labels,
    }),
    sessions: new Gauge({ name: "teetee_runner_sessions", help: "Sessions holding a KV cache", ...labels }),
    kvBytes: new Gauge({
      name: "teetee_runner_kv_cache_bytes",
      help: "Bytes of KV cache allocated",
      ...labels,
    }),
    kvReservedBytes: new Gauge({
      name: "teetee_runner_kv_reserved_bytes",
      help: "Bytes of KV cache admitted steps may still allocate (reserved at admission, released after the step)",
      ...labels,
    }),
    batchBufferBytes: new Gauge({
      name: "teetee_runner_batch_buffer_bytes",
      help: "Bytes of the shared buffers batched decode steps are gathered into (bounded by --batch-kv-bytes)",
      ...labels,
    }),
    batchSize: new Histogram({
      name: "teetee_runner_batch_size",
      help: "Sequences per shard call",
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
      ...labels,
    }),
    batchPositions: new Histogram({
      name: "teetee_runner_batch_positions",
      help: "Positions per shard call (decode steps and prefill chunks)",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      ...labels,
    }),
    queueDepth: new Gauge({
      name: "teetee_runner_queued_steps",
      help: "Steps waiting for a batch",
      ...labels,
    }),
    queueTime: new Histogram({
      name: "teetee_runner_queue_seconds",
      help: "Time a step waited before its first batch",
      buckets: latencyBuckets,
      ...labels,
    }),
    evictions: new Counter({
      name: "teetee_runner_sessions_evicted_total",
      help: "Sessions evicted for idleness",
      ...labels,
    }),
  };
}

export type RunnerMetrics = ReturnType<typeof createRunnerMetrics>;

/** Records one batch the scheduler ran: its size and positions, and how long its new steps waited. */
export function observeBatch(metrics: RunnerMetrics, batch: BatchObservation): void {
  metrics.batchSize.observe(batch.size);
  metrics.batchPositions.observe(batch.positions);
  for (const seconds of batch.queuedSeconds) metrics.queueTime.observe(seconds);
}
