import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { createPrng } from "../../src/prng.js";

/** The next-token distribution at every position of `context`, as llama.cpp computes it (softmax of its logits). */
export async function llamaCppDistributions(
  sequence: LlamaContextSequence,
  context: number[],
  vocabSize: number,
): Promise<Float64Array[]> {
  await sequence.clearHistory();
  const everyToken = { temperature: 1, topK: 0, topP: 1, minP: 0 };
  const results = await sequence.controlledEvaluate(
    context.map((token) => [token as Token, { generateNext: { probabilities: true, options: everyToken } }]),
  );
  return results.map((result, position) => {
    const probabilities = result?.next.probabilities;
    if (!probabilities || probabilities.size !== vocabSize) {
      throw new Error(
        `llama.cpp returned ${probabilities?.size ?? 0} of ${vocabSize} probabilities at ${position}`,
      );
    }
    const row = new Float64Array(vocabSize);
    for (const [token, p] of probabilities) row[token] = p;
    return row;
  });
}

/** Rows of logits ([positions × vocab]) as probability rows, in float64. */
export function softmaxRows(logits: Float32Array, vocabSize: number): Float64Array[] {
  return Array.from({ length: logits.length / vocabSize }, (_, p) => {
    const row = logits.subarray(p * vocabSize, (p + 1) * vocabSize);
    let max = Number.NEGATIVE_INFINITY;
    for (const x of row) max = Math.max(max, x);
    const out = Float64Array.from(row, (x) => Math.exp(x - max));
    const sum = out.reduce((a, b) => a + b, 0);
    return out.map((x) => x / sum);
  });
}

/** KL(p ‖ q) in nats; a q of 0 where p is not is floored at 1e-30 rather than made infinite. */
export function klDivergence(p: Float64Array, q: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) kl += p[i]! * Math.log(p[i]! / Math.max(q[i]!, 1e-30));
  return kl;
}

function argmax(row: Float64Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

export type Agreement = { meanKl: number; maxKl: number; top1Agreement: number; positions: number };

/** Mean and max KL from the reference's distributions to the candidate's, and how often their top-1 agree. */
export function agreement(reference: Float64Array[], candidate: Float64Array[]): Agreement {
  const kls = reference.map((p, i) => klDivergence(p, candidate[i]!));
  const same = reference.filter((p, i) => argmax(p) === argmax(candidate[i]!)).length;
  return {
    meanKl: kls.reduce((a, b) => a + b, 0) / kls.length,
    maxKl: Math.max(...kls),
    top1Agreement: same / reference.length,
    positions: reference.length,
  };
}

/** `count` contexts of `length` token ids drawn uniformly from the vocabulary, the same for the same seed. */
export function randomContexts(seed: number, count: number, length: number, vocabSize: number): number[][] {
  const prng = createPrng(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length }, () => Math.floor(prng.next() * vocabSize)),
  );
}
