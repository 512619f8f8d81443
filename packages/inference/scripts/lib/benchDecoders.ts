import { randomUUID } from "node:crypto";
import type { Llama } from "node-llama-cpp";
import { forwardChain } from "../../src/generate.js";
import { loadManifest } from "../../src/manifest.js";
import { ShardSession } from "../../src/ShardSession.js";
import { argmax } from "../../src/sample.js";
import { greedyTokens, type LlamaCppSession, openLlamaCpp } from "./llamaCpp.js";

/**
 * One configuration of the benchmark driven one greedy token at a time, so that the lockstep loop can time every
 * decode step of every configuration alike: `start` prefills the prompt and returns the first token, `step` feeds
 * the last token and returns the next, `end` drops the sequence's cache.
 */
export type Decoder = {
  start(promptIds: number[]): Promise<number>;
  step(token: number): Promise<number>;
  end(): Promise<void>;
  close(): Promise<void>;
};

/** TeeTee: a chain of in-process shard sessions over the shard folders of one model. */
export async function teeteeDecoder(
  dir: string,
  threads: number,
): Promise<Decoder & { shards: ShardSession[] }> {
  const manifest = await loadManifest(dir);
  const shards = await Promise.all(
    manifest.shards.map((_, shardIndex) =>
      ShardSession.create({ dir, shardIndex, manifest, verify: false, intraOpNumThreads: threads }),
    ),
  );
  let sessionId = randomUUID();
  const next = async (inputIds: number[]) => argmax(await forwardChain(shards, { sessionId, inputIds }));
  return {
    shards,
    start: (promptIds) => next(promptIds),
    step: (token) => next([token]),
    end: async () => {
      for (const shard of shards) shard.drop(sessionId);
      sessionId = randomUUID();
    },
    close: async () => {
      await Promise.all(shards.map((s) => s.release()));
    },
  };
}

/** llama.cpp: one GGUF model and context; each step is one `next()` of its greedy evaluation. */
export async function llamaCppDecoder(
  llama: Llama,
  modelPath: string,
  params: { threads: number; contextSize: number },
): Promise<Decoder & { session: LlamaCppSession }> {
  const session = await openLlamaCpp(llama, modelPath, params);
  let tokens: AsyncGenerator<number> | undefined;
  const take = async (result: Promise<IteratorResult<number>>) => {
    const { value, done } = await result;
    if (done) throw new Error(`llama.cpp stopped generating (${modelPath})`);
    return value;
  };
  return {
    session,
    start: (promptIds) => {
      tokens = greedyTokens(session.sequence, promptIds);
      return take(tokens.next());
    },
    step: (token) => take(tokens!.next(token)),
    end: async () => {
      await tokens?.return(undefined);
      tokens = undefined;
      await session.sequence.clearHistory();
    },
    close: () => session.dispose(),
  };
}
