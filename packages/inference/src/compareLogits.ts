import { argmax } from "./sample.js";

/** How closely one model's logits follow another's over the same positions. */
export type LogitAgreement = {
  positions: number;
  /** Largest |Δ logit| over every position and token. */
  maxAbsDiff: number;
  /** Mean over positions of KL(p_reference ‖ p_candidate), in nats. */
  meanKl: number;
  /** Share of positions whose argmax token is the same. */
  top1: number;
};

/**
 * Compares `candidate` logits with `reference` logits, both rows of `vocab` values for the same positions (e.g. a
 * quantized shard chain against the fp32 one). Softmaxes are computed in float64.
 */
export function compareLogits(
  reference: Float32Array,
  candidate: Float32Array,
  vocab: number,
): LogitAgreement {
  if (reference.length !== candidate.length || reference.length % vocab !== 0) {
    throw new Error(`logits of ${reference.length} and ${candidate.length} values are not rows of ${vocab}`);
  }
  const positions = reference.length / vocab;
  let maxAbsDiff = 0;
  let kl = 0;
  let agree = 0;
  for (let row = 0; row < positions; row++) {
    const p = reference.subarray(row * vocab, (row + 1) * vocab);
    const q = candidate.subarray(row * vocab, (row + 1) * vocab);
    for (let i = 0; i < vocab; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(p[i]! - q[i]!));
    kl += klDivergence(logSoftmax(p), logSoftmax(q));
    if (argmax(p) === argmax(q)) agree++;
  }
  return { positions, maxAbsDiff, meanKl: kl / positions, top1: agree / positions };
}

function logSoftmax(logits: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const logSum = max + Math.log(sum);
  return Float64Array.from(logits, (x) => x - logSum);
}

function klDivergence(logP: Float64Array, logQ: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < logP.length; i++) kl += Math.exp(logP[i]!) * (logP[i]! - logQ[i]!);
  return Math.max(0, kl);
}
