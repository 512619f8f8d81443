import type { SignedReceipt } from "../receipts/receipt.js";
import { RouteError } from "./errors.js";
import { type CreatePipelineSessionParameters, createPipelineSession } from "./PipelineSession.js";

export type GenerateOverRouteParameters = CreatePipelineSessionParameters & {
  promptIds: readonly number[];
  maxTokens: number;
  /** Generation ends after emitting any of these (included in the output). */
  stopTokens?: readonly number[];
  /** Prefill in chunks of this many positions. */
  prefillChunk?: number;
  onToken?: (tokenId: number) => void;
  /** Ask the route for its signed receipts before dropping the session. */
  receipts?: boolean;
};

export type GenerateOverRouteReturnType = {
  tokens: number[];
  finishReason: "stop" | "length";
  /** The route's receipts in shard order, when asked for. */
  receipts?: SignedReceipt[];
};

/**
 * Prompt to tokens across a route of runners: prefill, then one decode per token, then the session is
 * dropped on every runner (also when a step fails).
 *
 * @example
 * const { tokens } = await generateOverRoute({ route, promptIds, maxTokens: 64, topology: "forward" });
 */
export async function generateOverRoute(
  params: GenerateOverRouteParameters,
): Promise<GenerateOverRouteReturnType> {
  if (!Number.isInteger(params.maxTokens) || params.maxTokens < 1) {
    throw new RouteError(`maxTokens ${params.maxTokens} must be >= 1`, { status: 400 });
  }
  const stop = new Set(params.stopTokens ?? []);
  const session = createPipelineSession(params);
  const tokens: number[] = [];
  try {
    let token = await session.prefill(
      params.promptIds,
      params.prefillChunk === undefined ? {} : { chunk: params.prefillChunk },
    );
    let finishReason: "stop" | "length";
    for (;;) {
      tokens.push(token.tokenId);
      params.onToken?.(token.tokenId);
      if (stop.has(token.tokenId)) {
        finishReason = "stop";
        break;
      }
      if (tokens.length >= params.maxTokens) {
        finishReason = "length";
        break;
      }
      token = await session.decode(token.tokenId);
    }
    if (params.receipts !== true) return { tokens, finishReason };
    return { tokens, finishReason, receipts: await session.receipts() };
  } finally {
    await session.close();
  }
}
