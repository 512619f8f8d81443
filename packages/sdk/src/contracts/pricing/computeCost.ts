import { InvalidContractParameterError } from "../errors.js";

export interface ComputeCostParameters {
  /** Cumulative input (prompt) tokens of the session. */
  inputTokens: bigint;
  /** Cumulative output (generated) tokens of the session. */
  outputTokens: bigint;
  /** The model's on-chain price of one million input tokens, in payment-token base units. */
  inputPricePerMTok: bigint;
  /** The model's on-chain price of one million output tokens, in payment-token base units. */
  outputPricePerMTok: bigint;
}

export type ComputeCostReturnType = bigint;

const million = 1_000_000n;

/**
 * A session's cost in payment-token base units: ceil((in * inPrice + out * outPrice) / 1e6), computed on the
 * session's cumulative counts so rounding never accumulates. The one pricing function the gateway and the
 * runners share: a voucher's amount is `computeCost` of everything served on its channel so far.
 * @example
 * computeCost({ inputTokens: 1200n, outputTokens: 300n, inputPricePerMTok: 500_000n, outputPricePerMTok: 1_500_000n }) // 1050n
 */
export function computeCost(parameters: ComputeCostParameters): ComputeCostReturnType {
  for (const [name, value] of Object.entries(parameters)) {
    if (typeof value !== "bigint" || value < 0n) {
      throw new InvalidContractParameterError(`computeCost: ${name} must be a non-negative bigint.`);
    }
  }
  const { inputTokens, outputTokens, inputPricePerMTok, outputPricePerMTok } = parameters;
  const scaled = inputTokens * inputPricePerMTok + outputTokens * outputPricePerMTok;
  return (scaled + million - 1n) / million;
}
