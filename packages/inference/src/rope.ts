import type { ModelConfig } from "./modelConfig.js";

/**
 * RoPE inverse frequencies with the config's scaling applied, as Transformers' `ROPE_INIT_FUNCTIONS` compute
 * them. Both supported scalings only rescale frequencies (attention factor 1), so the graph needs nothing else.
 * Computed in float64 and rounded once to fp32, the precision the graphs use.
 */
export function ropeInverseFrequencies(config: ModelConfig): Float32Array {
  const half = config.headDim / 2;
  const base = Array.from({ length: half }, (_, i) => 1 / config.ropeTheta ** ((2 * i) / config.headDim));
  const scaling = config.ropeScaling;
  switch (scaling.type) {
    case "none":
      return Float32Array.from(base);
    case "linear":
      return Float32Array.from(base, (f) => f / scaling.factor);
    case "llama3":
      return Float32Array.from(base, (f) => llama3Frequency(f, scaling));
  }
}

/** Llama 3.1's piecewise rule: long wavelengths slowed by `factor`, short ones kept, the band between blended. */
function llama3Frequency(
  frequency: number,
  s: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number },
): number {
  const wavelength = (2 * Math.PI) / frequency;
  const lowFreqWavelength = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelength = s.originalMaxPositions / s.highFreqFactor;
  if (wavelength < highFreqWavelength) return frequency;
  if (wavelength > lowFreqWavelength) return frequency / s.factor;
  const smooth =
    (s.originalMaxPositions / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (frequency / s.factor) + smooth * frequency;
}
