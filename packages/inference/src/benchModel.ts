import type { MakeTestModelParams } from "./index.js";

/**
 * The "bench" model both benchmarks use (`pnpm bench:inference`, `pnpm bench:pipeline`): Llama-shaped, ~67M
 * parameters, big enough that matmuls, not per-call overhead, dominate a decode step.
 */
export const BENCH_SHAPE = {
  architecture: "LlamaForCausalLM",
  seed: 2024,
  hiddenSize: 512,
  intermediateSize: 1536,
  numLayers: 16,
  numHeads: 8,
  numKvHeads: 4,
  vocabSize: 16384,
  maxPositions: 512,
  tieWordEmbeddings: false,
} as const satisfies Omit<MakeTestModelParams, "dir">;

/** The prompt both benchmarks decode after. */
export const BENCH_PROMPT: number[] = Array.from({ length: 16 }, (_, i) => 10 + i * 7);
