import {
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";

/**
 * llama.cpp through node-llama-cpp's prebuilt CPU binary (the optional package `@node-llama-cpp/linux-x64` and
 * its siblings), never a build or a download: `build: "never"` and `skipDownload` make a missing binary an error.
 */
export async function loadLlamaCpp(): Promise<Llama> {
  try {
    return await getLlama({
      gpu: false,
      build: "never",
      skipDownload: true,
      usePrebuiltBinaries: true,
      progressLogs: false,
      logLevel: LlamaLogLevel.error,
    });
  } catch (cause) {
    throw new Error(
      "node-llama-cpp found no prebuilt CPU binary for this machine, and building llama.cpp is not allowed here; " +
        "run `pnpm install --frozen-lockfile` so its optional @node-llama-cpp/* package is installed",
      { cause },
    );
  }
}

export type LlamaCppSession = {
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  dispose: () => Promise<void>;
};

/**
 * A GGUF model with one context of `contextSize` positions evaluated with exactly `threads` CPU threads. The KV
 * cache is llama.cpp's default F16 unless `kvCache` says "F32" (what an F32 comparison with TeeTee's fp32 cache
 * needs: F16 keys and values move logits by ~1e-3, enough to flip a near tie).
 */
export async function openLlamaCpp(
  llama: Llama,
  modelPath: string,
  params: { threads: number; contextSize: number; kvCache?: "F16" | "F32" },
): Promise<LlamaCppSession> {
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: params.contextSize,
    batchSize: params.contextSize,
    threads: { ideal: params.threads, min: params.threads },
    experimentalKvCacheKeyType: params.kvCache ?? "F16",
    experimentalKvCacheValueType: params.kvCache ?? "F16",
  });
  const sequence = context.getSequence();
  return {
    model,
    context,
    sequence,
    dispose: async () => {
      await context.dispose();
      await model.dispose();
    },
  };
}

/**
 * Greedy decoding from token ids, never text: llama.cpp's own argmax sampler (temperature 0), end-of-generation
 * tokens yielded and decoded past like any other, as TeeTee's `generate` without stop tokens does.
 */
export function greedyTokens(
  sequence: LlamaContextSequence,
  promptIds: number[],
): AsyncGenerator<number, void, number | undefined> {
  return sequence.evaluate(promptIds as Token[], { temperature: 0, yieldEogToken: true }) as AsyncGenerator<
    number,
    void,
    number | undefined
  >;
}

/** The first `count` tokens of `greedyTokens`, starting from an empty sequence. */
export async function llamaCppGenerate(
  sequence: LlamaContextSequence,
  promptIds: number[],
  count: number,
): Promise<number[]> {
  await sequence.clearHistory();
  const tokens: number[] = [];
  for await (const token of greedyTokens(sequence, promptIds)) {
    tokens.push(token);
    if (tokens.length === count) break;
  }
  return tokens;
}
