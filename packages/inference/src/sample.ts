import { SamplingError } from "./errors.js";
import { uniformAt } from "./prng.js";

export type SamplingParams = {
  /** 0 (the default) is greedy decoding; otherwise logits are divided by it before the softmax. */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 or absent keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p, in (0, 1]; absent or 1 keeps all. */
  topP?: number;
  /**
   * Seed of the draws: the token at position p uses `uniformAt(seed, p)`, so the same seed, logits and
   * parameters give the same tokens however the context reached p (any shard count, a replayed context).
   */
  seed?: number;
};

/**
 * Picks next tokens from logits, in Transformers' order: temperature, then top-k, then top-p. Ties in the
 * ranking go to the lower token id, so results never depend on sort stability. Stateless: each draw is a pure
 * function of the seed and the position sampled, so a replica that replays the context after a failover samples
 * what the failed runner would have.
 */
export class Sampler {
  readonly params: Required<SamplingParams>;

  constructor(params: SamplingParams = {}) {
    this.params = validate(params);
  }

  /**
   * The token id at absolute `position` (0-based, so the context's length: the prompt's plus the tokens
   * generated so far) from the logits that predict it.
   */
  sample(logits: Float32Array | number[], position: number): number {
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new SamplingError(`position ${position} must be a non-negative integer`);
    }
    const { temperature, topK, topP, seed } = this.params;
    if (temperature === 0) return argmax(logits);
    const ranked = rankCandidates(logits, topK, topP < 1);
    const max = logits[ranked[0]!]!;
    const weights = ranked.map((id) => Math.exp((logits[id]! - max) / temperature));
    const kept = topP < 1 ? nucleusSize(weights, topP) : weights.length;
    let total = 0;
    for (let i = 0; i < kept; i++) total += weights[i]!;
    let target = uniformAt(seed, position) * total;
    for (let i = 0; i < kept; i++) {
      target -= weights[i]!;
      if (target < 0) return ranked[i]!;
    }
    return ranked[kept - 1]!;
  }
}

/** Index of the largest logit, the lowest index among equals. */
export function argmax(logits: Float32Array | number[]): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

function validate(params: SamplingParams): Required<SamplingParams> {
  const { temperature = 0, topK = 0, topP = 1, seed = 0 } = params;
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new SamplingError(`temperature ${temperature} must be a finite number >= 0`);
  }
  if (!Number.isInteger(topK) || topK < 0)
    throw new SamplingError(`topK ${topK} must be a non-negative integer`);
  if (!(topP > 0 && topP <= 1)) throw new SamplingError(`topP ${topP} must be in (0, 1]`);
  if (!Number.isInteger(seed)) throw new SamplingError(`seed ${seed} must be an integer`);
  return { temperature, topK, topP, seed };
}

/**
 * Candidate token ids: the top k by logit in rank order, or all ids (in id order when nothing needs a ranking,
 * which avoids sorting the whole vocabulary at every step).
 */
function rankCandidates(logits: Float32Array | number[], topK: number, needsOrder: boolean): number[] {
  const ids = Array.from({ length: logits.length }, (_, i) => i);
  const byRank = (a: number, b: number) => logits[b]! - logits[a]! || a - b;
  if (topK > 0 && topK < logits.length) return ids.sort(byRank).slice(0, topK);
  if (needsOrder) return ids.sort(byRank);
  const best = argmax(logits);
  return [best, ...ids.filter((i) => i !== best)];
}

/** Number of leading candidates whose probability mass first reaches `topP` (at least one). */
function nucleusSize(weights: number[], topP: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  for (let i = 0; i < weights.length; i++) {
    cumulative += weights[i]! / total;
    if (cumulative >= topP) return i + 1;
  }
  return weights.length;
}
