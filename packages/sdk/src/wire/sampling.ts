import { FrameFieldError } from "./errors.js";
import type { WireSampling } from "./frame.js";

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** Checks the ranges a runner's sampler accepts, so no runner receives parameters it must refuse. */
export function checkSampling(sampling: WireSampling): void {
  const { temperature, topK, topP, seed } = sampling;
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new FrameFieldError("Sampling temperature must be a finite number >= 0", {
      details: String(temperature),
    });
  }
  if (!(topP > 0 && topP <= 1)) {
    throw new FrameFieldError("Sampling top-p must be in (0, 1]", { details: String(topP) });
  }
  if (!isU32(topK)) throw new FrameFieldError("Sampling top-k must be a uint32", { details: String(topK) });
  if (!isU32(seed)) throw new FrameFieldError("Sampling seed must be a uint32", { details: String(seed) });
}
