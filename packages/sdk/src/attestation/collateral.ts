import { type Collateral, getCollateral, PHALA_PCCS_URL } from "@phala/dcap-qvl";
import { CollateralUnavailableError } from "./errors.js";

export type { Collateral } from "@phala/dcap-qvl";

/** Supplies Intel collateral for a quote: a PCCS client in production, a fixture in tests. */
export type CollateralSource = (quote: Uint8Array) => Promise<Collateral>;

/**
 * Fetches collateral from a PCCS (Phala's by default, or Intel's PCS URL).
 *
 * @example
 * const collateral = pccsCollateralSource("https://pccs.phala.network");
 */
export function pccsCollateralSource(pccsUrl: string = PHALA_PCCS_URL): CollateralSource {
  return async (quote) => {
    try {
      return await getCollateral(pccsUrl, quote);
    } catch (cause) {
      throw new CollateralUnavailableError("Could not fetch collateral from the PCCS", {
        cause,
        details: pccsUrl,
        hint: "Check the PCCS URL and network access, or pass collateral explicitly.",
      });
    }
  };
}

/** A source that always returns the given collateral (fixtures, or collateral fetched earlier). */
export function staticCollateralSource(collateral: Collateral): CollateralSource {
  return async () => collateral;
}

/**
 * Seconds since epoch at which the collateral stops being valid: the earlier `nextUpdate` of
 * its TCB info and QE identity. Undefined when either cannot be read.
 */
export function collateralExpiry(collateral: Collateral): number | undefined {
  const times = [collateral.tcb_info, collateral.qe_identity].map((json) => {
    try {
      const parsed: unknown = JSON.parse(json);
      const nextUpdate = (parsed as { nextUpdate?: unknown }).nextUpdate;
      return typeof nextUpdate === "string" ? Date.parse(nextUpdate) / 1000 : Number.NaN;
    } catch {
      return Number.NaN;
    }
  });
  if (times.some((time) => Number.isNaN(time))) return undefined;
  return Math.min(...times);
}
